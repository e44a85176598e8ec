import type { JSONSchema, JsonValue } from '@percept/core';
import type { Img } from './image.js';
import type { Rng } from './prng.js';

/** The BAPPS traditional families (LPIPS Table 2), plus the low-pass filter and composition. */
export const distortionFamilies = ['photometric', 'noise', 'blur', 'spatial', 'compression'] as const;
export type DistortionFamily = (typeof distortionFamilies)[number] | 'frequency' | 'composite';

/** What one application of a distortion to one image sees. */
export interface DistortionCall {
  /** In [0,1], already validated. */
  severity: number;
  seed: number;
  /** Index of the image within its batch. */
  index: number;
  /**
   * This image's random stream: rngFor(seed, name, index). Distortions draw their random parameters
   * first, in a fixed order that does not depend on severity, so that with one seed a larger severity
   * scales the very same perturbation (this is what makes the error monotone in severity).
   */
  rng: Rng;
  /** Distortion-specific options (everything in the params except severity and seed). */
  options: Record<string, unknown>;
}

export interface DistortionDef {
  name: string;
  family: DistortionFamily;
  description: string;
  /** Whether the output depends on the seed. */
  random: boolean;
  /** Whether severity 0 returns the input unchanged. */
  identityAtZero: boolean;
  /** JSON Schema properties of the distortion-specific options. */
  options: Record<string, JSONSchema>;
  /** The physical parameters that a severity maps to (random draws are described, not resolved). */
  describeSeverity(severity: number, options?: Record<string, unknown>): Record<string, JsonValue>;
  apply(img: Img, call: DistortionCall): Float32Array | Promise<Float32Array>;
}

/** `direction` option shared by the photometric distortions that can go either way. */
export const directionOption: JSONSchema = {
  enum: ['random', 'up', 'down'],
  default: 'random',
  description: 'Whether the change increases ("up") or decreases ("down") the quantity; "random" picks per seed.',
};

export function resolveDirection(call: DistortionCall): 1 | -1 {
  // Always draw, so the stream position does not depend on the option.
  const drawn = call.rng.sign() as 1 | -1;
  const d = call.options.direction ?? 'random';
  return d === 'up' ? 1 : d === 'down' ? -1 : drawn;
}

/** Rounds for describeSeverity output. */
export function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
