/**
 * The contracts every plugin implements. Core knows nothing about ML: a backend receives an
 * opaque model description that @percept/backbones defines and the backends understand.
 */
import type { HostTensor, ImageBatch } from './tensors.js';

export type JSONSchema = { [key: string]: unknown };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What actually ran: recorded with every number. */
export interface EngineInfo {
  /** e.g. "onnxruntime-node", "tfjs-wasm", "tfjs-cpu", "tfjs-node". */
  engine: string;
  engineVersion: string;
  /** Execution provider or tfjs backend that actually executed, after any fallback. */
  provider: string;
  threads?: number;
  /** Anything else worth recording (requested provider, fallbacks taken, …). */
  notes?: string[];
}

/**
 * Named intermediate tensors and, when the model has a head, its logits. With distance heads
 * (LoadOptions.heads), `heads` holds each head's distances for the pairs passed to `extract`, and
 * `taps` is empty when the extractor was loaded with `tapOutputs: false`.
 */
export interface Features {
  taps: Record<string, HostTensor>;
  logits?: HostTensor;
  heads?: Record<string, DistanceResult>;
}

/**
 * LPIPS between pairs of images of one batch, computed by the backend next to the forward pass
 * (SPEC §1.2: unit-normalise each tap over channels with ε added to the norm, square the
 * difference, weight channels, mean over positions, one value per layer). A backend that computes
 * it inside the model returns a few numbers per pair instead of every tap.
 */
export interface LpipsHeadSpec {
  readonly kind: 'lpips';
  /** Key of the head's results in `Features.heads`. */
  readonly id: string;
  /** Tap names, in the order of the per-layer results. */
  readonly layers: readonly string[];
  /** Per layer: non-negative channel weights, or null for all ones (the "baseline" variant). */
  readonly weights: readonly (Float32Array | null)[];
  readonly epsilon: number;
}

export type DistanceHeadSpec = LpipsHeadSpec;

/** Which images of the batch passed to `extract` the heads compare: pair k is (a[k], b[k]). */
export interface ImagePairs {
  a: Int32Array;
  b: Int32Array;
}

export interface FeatureExtractor {
  /** Tap names in the order the model produces them (shallow to deep). */
  readonly taps: readonly string[];
  /** Ids of the distance heads this extractor computes (those of LoadOptions.heads it took). */
  readonly heads?: readonly string[];
  /** `pairs` is required when the extractor computes heads. */
  extract(batch: ImageBatch, options?: { signal?: AbortSignal; pairs?: ImagePairs }): Promise<Features>;
  info(): EngineInfo;
  dispose(): Promise<void> | void;
}

/** An opaque model description (defined by @percept/backbones: an IR graph with weights, or a model file). */
export interface ModelSpec {
  readonly kind: string;
  readonly name: string;
}

export interface LoadOptions {
  /** Tap names (or backend-specific patterns) to expose. Empty or absent: the model's declared taps. */
  taps?: readonly string[];
  /** Also return logits when the model has a classifier head. */
  logits?: boolean;
  /** Largest batch the caller will pass; backends may use it to size buffers. */
  maxBatch?: number;
  /**
   * Distances to compute inside the model, for backends whose `heads` lists their kind. A
   * backend may take only some; `FeatureExtractor.heads` says which.
   */
  heads?: readonly DistanceHeadSpec[];
  /** false: return no taps (only heads and logits). Default true. */
  tapOutputs?: boolean;
}

export interface Backend {
  readonly name: string;
  /** Kinds of distance head (LoadOptions.heads) this backend can compute inside a model. */
  readonly heads?: readonly DistanceHeadSpec['kind'][];
  load(model: ModelSpec, options?: LoadOptions): Promise<FeatureExtractor>;
  /** Engine information without loading a model (for `percept plugins` and manifests). */
  describe(): Promise<EngineInfo>;
}

export interface DistanceResult {
  /** One value per sample. */
  total: Float32Array;
  /** One array per layer (same order as `layers`), each with one value per sample. Empty for pixel metrics. */
  perLayer: Float32Array[];
  layers: string[];
}

export interface FeatureDistance {
  readonly input: 'features';
  readonly name: string;
  compute(a: Features, b: Features): DistanceResult;
  /**
   * This distance as a head a backend may compute inside the model (LoadOptions.heads), given
   * the extractor's taps; undefined when it has no such form. Head results equal `compute`'s to
   * float32 rounding, not bit for bit.
   */
  head?(id: string, taps: readonly string[]): DistanceHeadSpec | undefined;
  /** Options that determine the values, recorded with every result. */
  readonly settings: Record<string, JsonValue>;
}

export interface PixelDistance {
  readonly input: 'pixels';
  readonly name: string;
  compute(a: ImageBatch, b: ImageBatch): DistanceResult;
  readonly settings: Record<string, JsonValue>;
}

export type Distance = FeatureDistance | PixelDistance;

/** A dataset: sizes and subsets known up front, samples streamed. */
export interface Dataset<S> extends AsyncIterable<S> {
  readonly name: string;
  readonly size: number;
  readonly subsets: readonly string[];
}

export interface DistortionParams {
  /** 0 = no distortion (where defined), 1 = the strongest documented setting. */
  severity: number;
  seed: number;
  [key: string]: unknown;
}

export type ProgressUnit = string;

export interface ProgressEvent {
  step: string;
  done: number;
  total: number | null;
  unit: ProgressUnit;
  message?: string;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** What a job receives when it runs. */
export interface JobContext {
  /** The step id (and matrix cell suffix), for messages. */
  readonly stepId: string;
  /** A directory owned by this job where it may write files that belong to its artifact. */
  readonly outputDir: string;
  /** The run directory (runs/<workflow>/<run-id>). */
  readonly runDir: string;
  /** The directory of the workflow file; relative paths in options resolve against it. */
  readonly baseDir: string;
  readonly registry: RegistryView;
  readonly signal: AbortSignal;
  readonly log: Logger;
  progress(done: number, total: number | null, unit: ProgressUnit, message?: string): void;
  /** Records provenance (weights hashes, engine info, skipped-sample counts) in the manifest. */
  record(key: string, value: JsonValue): void;
}

/** The registry as jobs see it: look-ups only. */
export interface RegistryView {
  get<K extends ContributionKind>(kind: K, name: string): ContributionOf<K>;
  has(kind: ContributionKind, name: string): boolean;
  list(kind?: ContributionKind): Contribution[];
}

export const contributionKinds = ['backend', 'backbone', 'dataset', 'distortion', 'distance', 'job', 'reporter'] as const;
export type ContributionKind = (typeof contributionKinds)[number];

interface ContributionBase<K extends ContributionKind> {
  readonly kind: K;
  /** Unique within its kind, kebab-case. */
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly description: string;
  /** JSON Schema (2020-12) of the options this contribution accepts. */
  readonly optionsSchema: JSONSchema;
}

export interface BackendContribution extends ContributionBase<'backend'> {
  create(options: Record<string, unknown>): Promise<Backend> | Backend;
}

export interface BackboneContribution extends ContributionBase<'backbone'> {
  /** Builds the model description for the given options (architecture knobs, weights, taps). */
  build(options: Record<string, unknown>, ctx: { baseDir: string }): Promise<ModelSpec> | ModelSpec;
}

export interface DatasetContribution extends ContributionBase<'dataset'> {
  open(options: Record<string, unknown>, ctx: { baseDir: string }): Promise<Dataset<unknown>> | Dataset<unknown>;
}

export interface DistortionContribution extends ContributionBase<'distortion'> {
  /** A documented mapping from severity to physical parameters, for docs and manifests. */
  describeSeverity(severity: number): Record<string, JsonValue>;
  apply(batch: ImageBatch, params: DistortionParams): ImageBatch | Promise<ImageBatch>;
}

export interface DistanceContribution extends ContributionBase<'distance'> {
  create(options: Record<string, unknown>): Distance | Promise<Distance>;
}

export interface JobContribution extends ContributionBase<'job'> {
  /** JSON Schema of the job's result object; its top-level properties are the step's outputs. */
  readonly outputsSchema?: JSONSchema;
  run(options: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>>;
}

export interface ReporterContribution extends ContributionBase<'reporter'> {
  readonly outputsSchema?: JSONSchema;
  run(options: Record<string, unknown>, ctx: JobContext): Promise<Record<string, JsonValue>>;
}

export type Contribution =
  | BackendContribution
  | BackboneContribution
  | DatasetContribution
  | DistortionContribution
  | DistanceContribution
  | JobContribution
  | ReporterContribution;

export type ContributionOf<K extends ContributionKind> = Extract<Contribution, { kind: K }>;

/** Both jobs and reporters can be workflow steps. */
export type StepContribution = JobContribution | ReporterContribution;
