import type { WeightTensor } from '../ir.js';

export type WeightFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** The tensors of one checkpoint file, converted to Float32 in PyTorch layout. */
export interface WeightFile {
  format: WeightFormat;
  /** The file path, or a label such as "<buffer>" when read from memory; used in every error. */
  source: string;
  tensors: Map<string, WeightTensor>;
  /** safetensors `__metadata__` (string values); empty for PyTorch files. */
  metadata: Record<string, string>;
}
