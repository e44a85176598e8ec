/**
 * Learning-rate schedules as pure functions of the step, so a resumed run needs no schedule state.
 *
 * 'tpu-step' is tensorflow/tpu's ResNet schedule (SPEC §3.2): linear warm-up from 0 over the first
 * 5/90 of training, then the base rate, ×0.1 from 30/90, ×0.01 from 60/90, ×0.001 from 80/90.
 * The reference code expresses these in epochs of a 90-epoch run and scales them by
 * train_epochs/90; here they are fractions of the run's total steps, which is the same scaling.
 */
import { InputError } from '@percept/core';

export type ScheduleName = 'tpu-step' | 'cosine' | 'constant';

export interface ScheduleOptions {
  name: ScheduleName;
  /** Peak learning rate (after warm-up). */
  lr: number;
  totalSteps: number;
  /** Fraction of the run spent warming up linearly from 0 (tpu-step default 5/90; cosine default 0). */
  warmup?: number;
}

const TPU_BOUNDARIES: ReadonlyArray<readonly [number, number]> = [[30 / 90, 0.1], [60 / 90, 0.01], [80 / 90, 0.001]];
export const TPU_WARMUP = 5 / 90;

export function defaultWarmup(name: ScheduleName): number {
  return name === 'tpu-step' ? TPU_WARMUP : 0;
}

export function learningRateAt(step: number, o: ScheduleOptions): number {
  if (!(o.totalSteps >= 1)) throw new InputError(`learning-rate schedule: totalSteps must be ≥ 1, got ${o.totalSteps}`);
  const warmup = o.warmup ?? defaultWarmup(o.name);
  if (!(warmup >= 0 && warmup < 1)) throw new InputError(`learning-rate schedule: warmup must be a fraction in [0, 1), got ${warmup}`);
  // Position in the run measured at the step being taken, as the TPU code's current_epoch.
  const t = step / o.totalSteps;
  if (warmup > 0 && t < warmup) return (o.lr * t) / warmup;
  switch (o.name) {
    case 'constant':
      return o.lr;
    case 'tpu-step': {
      let mult = 1;
      for (const [boundary, m] of TPU_BOUNDARIES) if (t >= boundary) mult = m;
      return o.lr * mult;
    }
    case 'cosine': {
      const span = 1 - warmup;
      const u = span > 0 ? (t - warmup) / span : 1;
      return 0.5 * o.lr * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, u))));
    }
    default: {
      const never: never = o.name;
      throw new InputError(`learning-rate schedule: unknown schedule "${String(never)}"`);
    }
  }
}
