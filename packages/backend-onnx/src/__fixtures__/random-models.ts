/** Test models with random weights and deterministic image batches, shared by the backend's tests. */
import { imageBatch, type ImageBatch } from '@percept/core';
import { randomWeights, type IRGraph, type IRModelSpec, type Preprocessing } from '@percept/backbones';

export const IMAGENET_PREPROCESSING: Preprocessing = {
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
} as Preprocessing;

export function randomSpec(graph: IRGraph, seed: number, preprocessing: Preprocessing = IMAGENET_PREPROCESSING): IRModelSpec {
  return {
    kind: 'ir', name: graph.name, graph, weights: randomWeights(graph, seed), preprocessing, provenance: { source: 'random', seed },
  } as IRModelSpec;
}

/** n size×size RGB images in [0,1], a different pattern per seed. */
export function patternBatch(n: number, seed: number, size = 64): ImageBatch {
  const data = Float32Array.from({ length: n * size * size * 3 }, (_, i) => ((i * 2654435761 + seed * 7919) % 1009) / 1009);
  return imageBatch(data, n, size, size);
}
