/**
 * Two kinds of files:
 *  - weights checkpoints, `checkpoints/step-<S>.safetensors`: the model's parameters (and batch-norm
 *    running statistics) in PyTorch layout under torchvision names, so any backbone option
 *    `weights: <path>` loads them like a published checkpoint;
 *  - the training state, `state/training-state.safetensors`: weights, optimizer slots and the loss
 *    history as tensors, and in the metadata the step, the optimizer's update count and a hash of the
 *    options that determine the run, and the data order's state after the last step (epoch, batch,
 *    stream position and the sample indices in the shuffle buffer). Augmentation and dropout are
 *    pure functions of (seed, epoch, sample) and (seed, step).
 * Both are written atomically (temp file + rename): a run killed mid-write keeps the previous file.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError, writeFileAtomic } from '@percept/core';
import { readSafetensors, writeSafetensors, type WeightTensor } from '@percept/backbones';
import type { DataOrderState } from './data/order.js';

export const STATE_FILE = join('state', 'training-state.safetensors');

export function checkpointPath(dir: string, step: number): string {
  return join(dir, 'checkpoints', `step-${String(step).padStart(7, '0')}.safetensors`);
}

export async function writeWeightsCheckpoint(path: string, weights: ReadonlyMap<string, WeightTensor>, metadata: Record<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, writeSafetensors(weights, metadata));
}

export interface TrainingState {
  step: number;
  optimizerStep: number;
  configHash: string;
  weights: Map<string, WeightTensor>;
  optimizer: Map<string, WeightTensor>;
  /** Training loss of every step taken so far. */
  losses: Float32Array;
  /** Per-checkpoint records so far (JSON). */
  records: unknown[];
  /** Where the data order stands after `step` (absent in states written before it was saved). */
  dataOrder?: DataOrderState;
}

const MODEL = 'model.';
const OPT = 'optimizer.';
const LOSSES = 'history.loss';

export async function writeTrainingState(dir: string, s: TrainingState): Promise<void> {
  const tensors = new Map<string, WeightTensor>();
  for (const [k, v] of s.weights) tensors.set(MODEL + k, v);
  for (const [k, v] of s.optimizer) tensors.set(OPT + k, v);
  tensors.set(LOSSES, { data: s.losses, shape: [s.losses.length] });
  const path = join(dir, STATE_FILE);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, writeSafetensors(tensors, {
    format: 'percept-training-state',
    step: String(s.step),
    optimizerStep: String(s.optimizerStep),
    configHash: s.configHash,
    records: JSON.stringify(s.records),
    ...(s.dataOrder ? { dataOrder: JSON.stringify(s.dataOrder) } : {}),
  }));
}

/** The saved state under `dir`, or undefined when there is none. */
export async function readTrainingState(dir: string): Promise<TrainingState | undefined> {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  const file = await readSafetensors(path);
  const meta = file.metadata;
  if (meta.format !== 'percept-training-state') throw new InputError(`${path}: not a Percept training-state file (metadata "format" is ${JSON.stringify(meta.format)})`);
  const step = Number(meta.step), optimizerStep = Number(meta.optimizerStep);
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(optimizerStep)) throw new InputError(`${path}: metadata "step"/"optimizerStep" are not integers`);
  const weights = new Map<string, WeightTensor>();
  const optimizer = new Map<string, WeightTensor>();
  let losses: Float32Array | undefined;
  for (const [k, v] of file.tensors) {
    if (k.startsWith(MODEL)) weights.set(k.slice(MODEL.length), v);
    else if (k.startsWith(OPT)) optimizer.set(k.slice(OPT.length), v);
    else if (k === LOSSES) losses = Float32Array.from(v.data);
    else throw new InputError(`${path}: unexpected tensor "${k}" in a training-state file`);
  }
  if (!losses || losses.length !== step) throw new InputError(`${path}: loss history has ${losses?.length ?? 0} entries, expected one per step (${step})`);
  let records: unknown[];
  try { records = JSON.parse(meta.records ?? '[]') as unknown[]; } catch (e) {
    throw new InputError(`${path}: metadata "records" is not JSON`, { cause: e });
  }
  let dataOrder: DataOrderState | undefined;
  if (meta.dataOrder !== undefined) {
    try { dataOrder = JSON.parse(meta.dataOrder) as DataOrderState; } catch (e) {
      throw new InputError(`${path}: metadata "dataOrder" is not JSON`, { cause: e });
    }
    const d = dataOrder as unknown as Record<string, unknown>;
    if (!d || typeof d !== 'object' || !['epoch', 'batch', 'cursor'].every((k) => Number.isInteger(d[k])) || !Array.isArray(d.buffer)) {
      throw new InputError(`${path}: metadata "dataOrder" must be { epoch, batch, cursor, buffer: [...] }, got ${meta.dataOrder.slice(0, 120)}`);
    }
  }
  return { step, optimizerStep, configHash: meta.configHash ?? '', weights, optimizer, losses, records, dataOrder };
}
