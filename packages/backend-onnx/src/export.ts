/**
 * Exports a loaded IR backbone as a standalone ONNX file (what `percept export onnx` writes).
 * The file takes `input` [N, 3, H, W] RGB in [0, 1]; its head applies the backbone's normalisation.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { IRModelSpec } from '@percept/backbones';
import { compileModelSpec, type CompiledOutput } from './compile.js';

export interface ExportOnnxOptions {
  /** Taps to expose as outputs (default: all the backbone declares). */
  taps?: readonly string[];
  /** Include the logits output when the backbone has a head (default true). */
  logits?: boolean;
}

export interface ExportOnnxResult {
  bytes: Uint8Array;
  inputName: string;
  outputs: CompiledOutput[];
}

export function exportOnnx(spec: IRModelSpec, options: ExportOnnxOptions = {}): ExportOnnxResult {
  const p = spec.provenance;
  const provenance = p.source === 'random' ? `random weights, seed ${p.seed}` : `${p.source} weights${p.path ? ` ${p.path}` : ''}${p.sha256 ? ` (sha256 ${p.sha256})` : ''}`;
  const pre = spec.preprocessing;
  const docString = [
    `Percept backbone "${spec.name}", ${provenance}.`,
    `Input "input": NCHW float32 RGB in [0, 1]${pre.size ? `, ${pre.size[0]}x${pre.size[1]}` : ''}; the graph applies`,
    `channel order ${pre.channelOrder}, scale ${pre.scale}, mean [${pre.mean.join(', ')}], std [${pre.std.join(', ')}].`,
    pre.resize !== 'none' ? `Resize before feeding: ${pre.resize}${pre.resizeShorter ? ` (shorter side ${pre.resizeShorter})` : ''}, ${pre.interpolation}.` : '',
  ].filter(Boolean).join(' ');
  const logits = (options.logits ?? true) && spec.graph.logits !== undefined;
  const compiled = compileModelSpec(spec, { taps: options.taps, logits, docString });
  return { bytes: compiled.encode(), inputName: compiled.inputName, outputs: compiled.outputs };
}

/** Writes bytes atomically (temp file + rename), so an interrupted export never leaves half a model. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
