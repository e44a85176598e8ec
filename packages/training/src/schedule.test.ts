import { describe, it, expect } from 'vitest';
import { learningRateAt, TPU_WARMUP } from './schedule.js';

describe('learning-rate schedules', () => {
  it('follows the TPU schedule scaled to the run: warm-up over 5/90, ×0.1 at 30/90, 60/90, 80/90', () => {
    const o = { name: 'tpu-step' as const, lr: 0.4, totalSteps: 900 };
    expect(TPU_WARMUP).toBeCloseTo(5 / 90, 12);
    expect(learningRateAt(0, o)).toBe(0);
    expect(learningRateAt(25, o)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(50, o)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(299, o)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(300, o)).toBeCloseTo(0.04, 12);
    expect(learningRateAt(600, o)).toBeCloseTo(0.004, 12);
    expect(learningRateAt(800, o)).toBeCloseTo(0.0004, 12);
    expect(learningRateAt(899, o)).toBeCloseTo(0.0004, 12);
  });

  it('decays along a half cosine after an optional warm-up, and rejects a bad warm-up', () => {
    const o = { name: 'cosine' as const, lr: 1, totalSteps: 100 };
    expect(learningRateAt(0, o)).toBe(1);
    expect(learningRateAt(50, o)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(100, o)).toBeCloseTo(0, 12);
    expect(learningRateAt(5, { ...o, warmup: 0.1 })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(55, { ...o, warmup: 0.1 })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(7, { name: 'constant', lr: 0.3, totalSteps: 10 })).toBe(0.3);
    expect(() => learningRateAt(0, { ...o, warmup: 1 })).toThrow(/warmup must be a fraction/);
  });
});
