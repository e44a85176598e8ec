/**
 * TensorFlow.js engine selection. The native engines (tfjs-node-gpu, tfjs-node) are optional: they
 * download libtensorflow at install time, so they are never dependencies of this package, only
 * loaded by dynamic import when a user has installed them. wasm is always available; cpu (pure JS)
 * is the last resort and is very slow.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { InputError, type EngineInfo } from '@percept/core';

export type EnginePreference = 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const enginePreferences: readonly EnginePreference[] = ['node-gpu', 'node', 'wasm', 'cpu'];

export interface InitTfjsOptions {
  /**
   * The most capable engine to try first. Engines after it in the order node-gpu, node, wasm, cpu
   * are tried as fallbacks; engines before it are skipped (so `prefer: 'cpu'` really runs cpu).
   */
  prefer?: EnginePreference;
  /** Threads for the wasm engine's XNNPACK pool (set before the backend first starts; Node normally runs 1). */
  threads?: number;
  /** Receives one line about which engine runs and why others were skipped. */
  log?: (message: string) => void;
}

interface Candidate {
  pref: EnginePreference;
  /** tfjs backend name registered by the engine. */
  backend: string;
  engine: string;
  /** Makes the backend available; throws when the engine cannot run here. */
  prepare(threads: number | undefined): Promise<void>;
}

/** Dynamic import that TypeScript does not resolve: the native packages are optional. */
async function importOptional(name: string): Promise<unknown> {
  const load = new Function('n', 'return import(n)') as (n: string) => Promise<unknown>;
  return load(name);
}

let wasmPathsSet = false;
function locateWasmBinaries(): void {
  if (wasmPathsSet) return;
  // The wasm backend fetches its .wasm files by URL; under Node a file path prefix works. The
  // package's main entry lives in dist/, beside the binaries.
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(`${dirname(entry)}/`);
  wasmPathsSet = true;
}

const candidates: readonly Candidate[] = [
  {
    pref: 'node-gpu', backend: 'tensorflow', engine: 'tfjs-node-gpu',
    async prepare() { await importOptional('@tensorflow/tfjs-node-gpu'); },
  },
  {
    pref: 'node', backend: 'tensorflow', engine: 'tfjs-node',
    async prepare() { await importOptional('@tensorflow/tfjs-node'); },
  },
  {
    pref: 'wasm', backend: 'wasm', engine: 'tfjs-wasm',
    async prepare(threads) {
      locateWasmBinaries();
      // Only effective before the backend initialises; harmless afterwards.
      if (threads !== undefined && tf.findBackend('wasm') === null) setThreadsCount(threads);
    },
  },
  {
    pref: 'cpu', backend: 'cpu', engine: 'tfjs-cpu',
    async prepare() {
      // The cpu backend prints a banner recommending tfjs-node on first use; our own log line
      // already reports the engine and the fallbacks, so silence the duplicate.
      const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
      if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
    },
  },
];

let current: { pref: EnginePreference; info: EngineInfo } | undefined;
let pending: Promise<EngineInfo> | undefined;

/**
 * Selects and initialises a TensorFlow.js engine; idempotent. A second call with the same
 * preference returns the running engine; a call with a different preference switches engines
 * (tensors created on the previous engine stay there, so compile models after choosing).
 */
export async function initTfjs(options: InitTfjsOptions = {}): Promise<EngineInfo> {
  const prefer = options.prefer ?? 'node-gpu';
  if (!enginePreferences.includes(prefer)) {
    throw new InputError(`tfjs engine: unknown preference "${String(prefer)}", expected one of ${enginePreferences.join(', ')}`);
  }
  // Serialise concurrent calls: tf.setBackend is global state.
  while (pending) await pending.catch(() => undefined);
  if (current && current.pref === prefer && tf.getBackend() === current.info.provider) return current.info;
  pending = select(prefer, options);
  try {
    return await pending;
  } finally {
    pending = undefined;
  }
}

async function select(prefer: EnginePreference, options: InitTfjsOptions): Promise<EngineInfo> {
  const start = enginePreferences.indexOf(prefer);
  const notes: string[] = [`requested ${prefer}`];
  for (const c of candidates.slice(start)) {
    try {
      await c.prepare(options.threads);
      if (!(await tf.setBackend(c.backend))) throw new Error(`tf.setBackend('${c.backend}') returned false`);
      await tf.ready();
      const info: EngineInfo = {
        engine: c.engine,
        engineVersion: tf.version.tfjs,
        provider: tf.getBackend(),
        threads: c.backend === 'wasm' ? wasmThreads() : c.backend === 'cpu' ? 1 : undefined,
        notes: [...notes],
      };
      current = { pref: prefer, info };
      options.log?.(`tfjs engine: ${c.engine} ${info.engineVersion} (backend ${info.provider})${notes.length > 1 ? `; ${notes.slice(1).join('; ')}` : ''}`);
      return info;
    } catch (err) {
      notes.push(`${c.engine} unavailable: ${firstLine(err)}`);
    }
  }
  throw new InputError(`tfjs engine: no engine could start (${notes.slice(1).join('; ')})`);
}

function wasmThreads(): number | undefined {
  // The count XNNPACK actually uses (Node loads the non-threaded binary, so normally 1).
  try { return getThreadsCount(); } catch { return undefined; }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

/** The engine currently initialised, if any. */
export function currentEngine(): EngineInfo | undefined {
  return current?.info;
}

export { tf };
