/**
 * onnxruntime-node sessions: execution-provider fallback, thread settings, and the record of what ran.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { PerceptError, type EngineInfo } from '@percept/core';
import { SessionWorker, type RunnableSession } from './session-worker.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'layout' | 'all';

export interface OnnxSessionOptions {
  /** Execution providers to try, in order (e.g. ['cuda', 'cpu']). The first one that loads is used. Default ['cpu']. */
  executionProviders?: readonly string[];
  /** Threads inside one operator (default: onnxruntime's choice, one per core). */
  intraOpNumThreads?: number;
  /** Threads running independent operators in parallel (only used with executionMode 'parallel'). */
  interOpNumThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  executionMode?: 'sequential' | 'parallel';
  /**
   * Where the session runs: 'worker' (default) holds it in a worker thread so inference overlaps the
   * caller's own work; 'main' runs it on the calling thread (onnxruntime-node then blocks that
   * thread for each forward pass).
   */
  sessionThread?: 'worker' | 'main';
}

export const ENGINE = 'onnxruntime-node';

export function engineVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** Providers this onnxruntime-node build can load (bundled or installed beside it). */
export function supportedProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

export interface OpenedSession {
  session: RunnableSession;
  info: EngineInfo;
}

/** A session on the calling thread behind the same interface as a worker's. */
function mainThreadSession(session: ort.InferenceSession): RunnableSession {
  return {
    thread: 'main',
    async run(inputName, input, dims, fetches, indices) {
      const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', input, dims) };
      for (const [name, data] of Object.entries(indices ?? {})) feeds[name] = new ort.Tensor('int32', data, [data.length]);
      const outputs = await session.run(feeds, [...fetches]);
      return { outputs, input };
    },
    release: () => session.release(),
  };
}

/**
 * Creates a session trying each requested provider in turn. Providers this build does not ship are
 * skipped without trying; a provider that fails to initialise (no GPU, missing CUDA libraries) is
 * noted and the next one is tried. The provider that loaded is reported in `info.provider`.
 */
export async function openSession(model: Uint8Array, options: OnnxSessionOptions, label: string): Promise<OpenedSession> {
  const thread = options.sessionThread ?? 'worker';
  const host = thread === 'worker' ? new SessionWorker(model, label) : undefined;
  const create = host
    ? (o: ort.InferenceSession.SessionOptions) => host.open(o)
    : async (o: ort.InferenceSession.SessionOptions) => mainThreadSession(await ort.InferenceSession.create(model, o));
  try {
    return await openWithFallback(create, options, label, thread);
  } catch (e) {
    await host?.terminate();
    throw e;
  }
}

async function openWithFallback(
  create: (o: ort.InferenceSession.SessionOptions) => Promise<RunnableSession>, options: OnnxSessionOptions, label: string, thread: 'worker' | 'main',
): Promise<OpenedSession> {
  const requested = options.executionProviders && options.executionProviders.length > 0 ? options.executionProviders : ['cpu'];
  const supported = new Set(supportedProviders());
  const notes: string[] = [`requested providers: ${requested.join(', ')}`];
  const failures: string[] = [];
  for (const provider of requested) {
    if (!supported.has(provider)) {
      const msg = `provider "${provider}" is not available in this onnxruntime-node build (available: ${[...supported].join(', ')})`;
      notes.push(msg);
      failures.push(msg);
      continue;
    }
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        executionMode: options.executionMode ?? 'sequential',
      };
      // onnxruntime-node rejects keys that are present but undefined, so only set what was given.
      if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
      if (options.interOpNumThreads !== undefined) sessionOptions.interOpNumThreads = options.interOpNumThreads;
      const session = await create(sessionOptions);
      if (provider !== requested[0]) notes.push(`fell back to "${provider}"`);
      return {
        session,
        info: {
          engine: ENGINE,
          engineVersion: engineVersion(),
          provider,
          threads: options.intraOpNumThreads && options.intraOpNumThreads > 0 ? options.intraOpNumThreads : availableParallelism(),
          notes: [...notes, `graph optimisation: ${options.graphOptimizationLevel ?? 'all'}`, `session thread: ${thread}`],
        },
      };
    } catch (e) {
      const msg = `provider "${provider}" failed: ${(e as Error).message.split('\n')[0]}`;
      notes.push(msg);
      failures.push(msg);
    }
  }
  throw new PerceptError(`onnxruntime could not load ${label} with any requested execution provider: ${failures.join('; ')}.`, {
    hint: 'Add "cpu" to executionProviders as a fallback.',
  });
}
