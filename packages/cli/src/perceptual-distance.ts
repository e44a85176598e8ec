/**
 * The library-level perceptual distance: one call sets up a backbone on a backend with its
 * weights (and, for LPIPS "lin", the calibration weights), then `distance(a, b)` compares two
 * [0,1] RGB ImageBatches. The backbone's declared preprocessing (LPIPS' ScalingLayer for the
 * LPIPS trunks) is applied by the feature extractor, so callers never normalise by hand.
 *
 * Feature distances (lpips, mean-pool, style) run the network; pixel metrics (l2, ssim, psnr, dssim)
 * do not, so for them no backbone or weights are loaded at all.
 */
import {
  InputError,
  Registry,
  type Distance,
  type DistanceResult,
  type EngineInfo,
  type FeatureExtractor,
  type Features,
  type HostTensor,
  type ImageBatch,
  type JsonValue,
  type RegistryView,
} from '@percept/core';
import type { IRModelSpec } from '@percept/backbones';

export type LpipsVariant = 'lin' | 'baseline';

export interface PerceptualDistanceOptions {
  /** A registered backbone (default "alexnet"); only used by feature distances. */
  backbone?: string;
  /** A registered distance: "lpips" (default), "mean-pool", "style", or a pixel metric "l2", "ssim", "psnr", "dssim". */
  distance?: string;
  /** LPIPS only: "lin" (default, the learned channel weights) or "baseline" (all ones: the Kumar et al. PS distance). */
  variant?: LpipsVariant;
  /** A registered backend: "onnx" (default) or "tfjs". */
  backend?: string;
  /** Options for the backend contribution, e.g. `{ engine: 'wasm' }` for tfjs. */
  backendOptions?: Record<string, unknown>;
  /** Trunk weights: "pretrained" (default; found under PERCEPT_ASSETS), "random", or a checkpoint path. */
  weights?: string;
  /** LPIPS "lin" weights: "pretrained" (default; weights/lpips-v0.1-<net>-lin.safetensors under PERCEPT_ASSETS) or a file path. */
  lin?: string;
  /** Extra options for the distance contribution (e.g. `{ colorspace: 'rgb' }` for l2). */
  distanceOptions?: Record<string, unknown>;
  /** Where plugins come from (default: the backbones, both backends and the metrics). */
  registry?: RegistryView;
  /** Relative weight paths resolve against this directory (default: the process cwd). */
  baseDir?: string;
  /** Environment used to find PERCEPT_ASSETS (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface SpatialMap {
  /** [N, H, W] row-major: the per-pixel distance (sum of the upsampled layer maps). */
  total: Float32Array;
  /** One [N, H, W] map per layer. */
  perLayer: Float32Array[];
  layers: string[];
  shape: [number, number, number];
}

export interface PerceptualDistanceInfo {
  distance: string;
  /** "distance": lower means more alike; "similarity" (ssim, psnr): higher means more alike. */
  direction: 'distance' | 'similarity';
  settings: Record<string, JsonValue>;
  /** Absent for pixel metrics. */
  backbone?: {
    name: string;
    weights: Record<string, JsonValue>;
    preprocessing: Record<string, JsonValue>;
    layers: string[];
  };
  lin?: { file: string; sha256: string };
  engine?: EngineInfo;
}

export interface PerceptualDistance {
  /** One value per sample pair, plus the per-layer terms (empty for pixel metrics). */
  distance(a: ImageBatch, b: ImageBatch): Promise<DistanceResult>;
  /** LPIPS only: the per-pixel map at the input's size (LPIPS spatial=True). */
  spatial(a: ImageBatch, b: ImageBatch): Promise<SpatialMap>;
  /** The backbone's taps for a batch (feature distances only), e.g. to cache features of a reference image. */
  features(batch: ImageBatch): Promise<Features>;
  info(): PerceptualDistanceInfo;
  dispose(): Promise<void>;
}

const SIMILARITIES = new Set(['ssim', 'psnr']);

async function defaultRegistry(): Promise<RegistryView> {
  // Only what a perceptual distance needs: loading every built-in plugin would pull in the report
  // renderers and dataset fetchers for nothing.
  const [backbones, onnx, tfjs, metrics] = await Promise.all([
    import('@percept/backbones'), import('@percept/backend-onnx'), import('@percept/backend-tfjs'), import('@percept/metrics'),
  ]);
  return new Registry([backbones.default, onnx.default, tfjs.default, metrics.default]);
}

/** Checks that `a` and `b` are valid ImageBatches of identical shape. */
export function checkPair(a: ImageBatch, b: ImageBatch, where = 'perceptual distance'): void {
  for (const [label, x] of [['first', a], ['second', b]] as const) {
    const s = x?.shape;
    if (!s || s.length !== 4 || s[3] !== 3 || !(x.data instanceof Float32Array) || x.data.length !== s[0] * s[1] * s[2] * 3) {
      throw new InputError(`${where}: the ${label} input is not an [N,H,W,3] float32 ImageBatch (shape [${s ? s.join(',') : '?'}], ${x?.data?.length ?? '?'} values)`);
    }
    if (s[0] < 1) throw new InputError(`${where}: the ${label} input holds no images`);
  }
  const [na, ha, wa] = a.shape, [nb, hb, wb] = b.shape;
  if (na !== nb) throw new InputError(`${where}: the inputs hold ${na} and ${nb} images; pairs need the same count`);
  if (ha !== hb || wa !== wb) {
    throw new InputError(`${where}: image sizes differ, ${wa}x${ha} vs ${wb}x${hb} (WxH); resize one to the other first`);
  }
}

/** Splits every tap of a features set computed on [a; b] back into the two halves. */
function splitFeatures(f: Features, n: number): [Features, Features] {
  const half = (t: HostTensor, k: 0 | 1): HostTensor => {
    const per = t.data.length / t.shape[0];
    return { data: t.data.subarray(k * n * per, (k + 1) * n * per), shape: [n, ...t.shape.slice(1)], layout: t.layout };
  };
  const pick = (k: 0 | 1): Features => ({ taps: Object.fromEntries(Object.entries(f.taps).map(([name, t]) => [name, half(t, k)])) });
  return [pick(0), pick(1)];
}

function concatPair(a: ImageBatch, b: ImageBatch): ImageBatch {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  const [n, h, w] = a.shape;
  return { data, shape: [2 * n, h, w, 3] };
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/**
 * Adds how-to-provide advice to a user error, after any hint it already has (one per line), or in
 * its place with `replace` (when ours says the same with the command-line flag added).
 */
function withHint(e: unknown, hint: string, options: { replace?: boolean; message?: (m: string) => string } = {}): never {
  if (!(e instanceof InputError)) throw e;
  const message = options.message ? options.message(e.message) : e.message;
  throw new InputError(message, { hint: e.hint && !options.replace ? `${e.hint}\n${hint}` : hint, cause: e });
}

/**
 * Sets up a perceptual distance. The model is loaded once here; call `dispose()` when done.
 *
 *     const d = await createPerceptualDistance({ backbone: 'alexnet', variant: 'lin' });
 *     const { total } = await d.distance(await readImage('a.png'), await readImage('b.png'));
 */
export async function createPerceptualDistance(options: PerceptualDistanceOptions = {}): Promise<PerceptualDistance> {
  const distanceName = options.distance ?? 'lpips';
  const registry = options.registry ?? (await defaultRegistry());
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? process.env;
  const distanceContribution = registry.get('distance', distanceName);
  const canonicalDistance = distanceContribution.name;
  const isLpips = canonicalDistance === 'lpips';
  if (options.variant !== undefined && !isLpips) {
    throw new InputError(`perceptual distance: "variant" (${options.variant}) applies only to the lpips distance, not "${canonicalDistance}"`);
  }
  if (options.variant !== undefined && options.variant !== 'lin' && options.variant !== 'baseline') {
    throw new InputError(`perceptual distance: "variant" must be "lin" or "baseline", got ${JSON.stringify(options.variant)}`);
  }
  const variant: LpipsVariant | undefined = isLpips ? options.variant ?? 'lin' : undefined;
  if (options.lin !== undefined && variant !== 'lin') {
    throw new InputError(`perceptual distance: "lin" weights were given but the ${isLpips ? 'baseline variant' : `"${canonicalDistance}" distance`} does not use them`);
  }

  // Pixel metrics: nothing to load.
  const probe = await distanceContribution.create({ ...(options.distanceOptions ?? {}) });
  if (probe.input === 'pixels') {
    for (const key of ['backbone', 'weights', 'backend'] as const) {
      if (options[key] !== undefined) throw new InputError(`perceptual distance: "${canonicalDistance}" compares pixels, so option "${key}" (${options[key]}) has no effect; leave it out`);
    }
    return pixelDistance(probe, canonicalDistance);
  }

  const backboneContribution = registry.get('backbone', options.backbone ?? 'alexnet');
  const backboneName = backboneContribution.name;
  const weights = options.weights ?? 'pretrained';
  const spec = await Promise.resolve(backboneContribution.build({ weights }, { baseDir })).catch((e: unknown) =>
    withHint(e, weights === 'pretrained' && e instanceof InputError && / not found/.test(e.message)
      ? 'Provide the trunk weights with --weights FILE (option "weights"), set PERCEPT_ASSETS to the folder holding them, or download them with `percept models fetch <id>` (see `percept models list`).'
      : 'Give a checkpoint (.safetensors or .pth, torchvision key names) with --weights FILE (option "weights"), or "random".'),
  );
  const backend = await registry.get('backend', options.backend ?? 'onnx').create({ ...(options.backendOptions ?? {}) });
  const extractor: FeatureExtractor = await backend.load(spec);
  try {
    const layers = [...extractor.taps];
    let lin: { file: string; sha256: string; weights: Record<string, Float32Array> } | undefined;
    if (variant === 'lin') {
      const { resolveLinWeights } = await import('@percept/dataset-bapps');
      lin = await resolveLinWeights(options.lin ?? 'pretrained', { backbone: backboneName, taps: layers, baseDir, env }).catch((e: unknown) =>
        withHint(e, `Give the LPIPS lin weights (keys lin{k}.model.1.weight) with --lin FILE (option "lin"), set PERCEPT_ASSETS to the folder holding weights/lpips-v0.1-<net>-lin.safetensors, download them with \`percept models fetch lpips/v0.1-<net>\`, or use --variant baseline.`, {
          replace: true,
          // dataset-bapps words these for its job's "distances" option; here they are about LPIPS.
          message: (m) => m.replace(/^distances: /, 'LPIPS '),
        }),
      );
    }
    if (lin) await checkLinChannels(spec, lin);
    const distanceOptions: Record<string, unknown> = { ...(options.distanceOptions ?? {}), layers };
    if (isLpips) {
      distanceOptions.variant = variant;
      if (lin) distanceOptions.lin = { weights: lin.weights };
    }
    const distance = await distanceContribution.create(distanceOptions);
    if (distance.input !== 'features') throw new InputError(`perceptual distance: "${canonicalDistance}" changed its input kind between calls`);
    const { lpipsSpatial } = await import('@percept/metrics');

    const info: PerceptualDistanceInfo = {
      distance: canonicalDistance,
      direction: 'distance',
      settings: distance.settings,
      backbone: {
        name: backboneName,
        weights: toJson((spec as { provenance?: unknown }).provenance) as Record<string, JsonValue>,
        preprocessing: toJson((spec as { preprocessing?: unknown }).preprocessing) as Record<string, JsonValue>,
        layers,
      },
      ...(lin ? { lin: { file: lin.file, sha256: lin.sha256 } } : {}),
      engine: extractor.info(),
    };

    const pairFeatures = async (a: ImageBatch, b: ImageBatch): Promise<[Features, Features]> => {
      checkPair(a, b);
      // One engine call for both sides: half the per-call overhead on small patches.
      const both = await extractor.extract(concatPair(a, b));
      return splitFeatures(both, a.shape[0]);
    };
    let disposed = false;
    const alive = () => { if (disposed) throw new InputError('perceptual distance: used after dispose()'); };

    return {
      async distance(a, b) {
        alive();
        const [fa, fb] = await pairFeatures(a, b);
        return distance.compute(fa, fb);
      },
      async spatial(a, b) {
        alive();
        if (!isLpips) throw new InputError(`perceptual distance: a spatial map is defined only for lpips, not "${canonicalDistance}"`);
        const [fa, fb] = await pairFeatures(a, b);
        return lpipsSpatial(fa, fb, [a.shape[1], a.shape[2]], { variant, layers, ...(lin ? { lin: { weights: lin.weights } } : {}) });
      },
      async features(batch) {
        alive();
        return extractor.extract(batch);
      },
      info: () => info,
      async dispose() {
        if (disposed) return;
        disposed = true;
        await extractor.dispose();
      },
    };
  } catch (e) {
    await extractor.dispose();
    throw e;
  }
}

/**
 * Checks lin weights against the taps' channel counts now, from the IR graph's shapes, rather than
 * at the first distance() call. Shapes need an input size; 224x224 suits every LPIPS trunk, and a
 * graph that cannot take it is left to the check the distance makes when it runs.
 */
async function checkLinChannels(spec: { kind: string }, lin: { file: string; weights: Record<string, Float32Array> }): Promise<void> {
  if (spec.kind !== 'ir') return;
  const { inferShapes } = await import('@percept/backbones');
  const graph = (spec as IRModelSpec).graph;
  let shapes: Map<string, readonly number[]>;
  try {
    shapes = inferShapes(graph, [1, graph.input.channels, 224, 224]);
  } catch {
    return;
  }
  Object.entries(graph.taps).forEach(([tap, { node }], k) => {
    const channels = shapes.get(node)?.[1];
    const w = lin.weights[tap];
    if (w && channels !== undefined && w.length !== channels) {
      throw new InputError(`${lin.file}: lin${k}.model.1.weight has ${w.length} channel weights but tap "${tap}" of backbone "${(spec as IRModelSpec).name}" has ${channels} channels; these lin weights belong to another network`);
    }
  });
}

function pixelDistance(distance: Distance, name: string): PerceptualDistance {
  if (distance.input !== 'pixels') throw new InputError(`perceptual distance: "${name}" is not a pixel metric`);
  const info: PerceptualDistanceInfo = {
    distance: name,
    direction: SIMILARITIES.has(name) ? 'similarity' : 'distance',
    settings: distance.settings,
  };
  const noFeatures = (what: string) => new InputError(`perceptual distance: "${name}" compares pixels; it has no ${what}`);
  return {
    async distance(a, b) {
      checkPair(a, b);
      return distance.compute(a, b);
    },
    async spatial() { throw noFeatures('spatial map (only lpips has one)'); },
    async features() { throw noFeatures('network features'); },
    info: () => info,
    async dispose() { /* nothing loaded */ },
  };
}
