/**
 * An onnxruntime session held by a worker thread.
 *
 * onnxruntime-node's `session.run` is asynchronous in name only: it makes its native call inside
 * `setImmediate`, so the forward pass blocks the JS thread that called it. Held on the main thread, a
 * session therefore serialises everything else the process does (decoding the next batch, distances
 * on the previous one). In a worker thread the forward pass runs beside the main thread, and a caller
 * that keeps one batch in flight overlaps its own work with inference.
 *
 * Arrays cross the thread boundary by transfer, not copy: the input array goes to the worker and
 * comes back with the result (the caller reuses it for a later batch), and every output array is
 * transferred to the caller, who owns it from then on.
 *
 * The worker's code is a string evaluated as CommonJS (`eval: true`) so it needs no separate file
 * next to either the TypeScript sources (tests) or dist/ (the build); it loads the same
 * onnxruntime-node package the caller resolved.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { PerceptError } from '@percept/core';

/** One output as it arrives from the worker: the fields of `ort.Tensor` the extractor reads. */
export interface SessionOutput {
  readonly type: ort.Tensor.Type;
  readonly dims: readonly number[];
  readonly data: ort.Tensor.DataType;
}

export interface SessionRunResult {
  outputs: Record<string, SessionOutput>;
  /** The input array, usable again (after a worker round trip, a new view of the same memory). */
  input: Float32Array;
}

/** int32 inputs by name (1-D). */
export type IndexFeeds = Record<string, Int32Array>;

/** A session wherever it runs: on the calling thread or in a worker. */
export interface RunnableSession {
  /** Where the forward pass runs, for the engine record. */
  readonly thread: 'main' | 'worker';
  /**
   * Runs with one float32 input (and optional int32 index inputs, which are copied). The session
   * owns `input` until the promise settles.
   */
  run(inputName: string, input: Float32Array, dims: readonly number[], fetches: readonly string[], indices?: IndexFeeds): Promise<SessionRunResult>;
  release(): Promise<void>;
}

const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const model = workerData.model;
let session;

function reply(message, transfer) {
  parentPort.postMessage(message, transfer);
}

// One request at a time, in arrival order: a port delivers every queued message at once, and a
// release must not overtake a run that is still waiting for its turn.
let queue = Promise.resolve();
parentPort.on('message', (m) => {
  // handle() replies to every request itself; a failure here would only be a failed reply.
  queue = queue.then(() => handle(m)).catch(() => undefined);
});

async function handle(m) {
  if (m.type === 'open') {
    try {
      session = await ort.InferenceSession.create(model, m.options);
      reply({ id: m.id });
    } catch (e) {
      reply({ id: m.id, error: String(e && e.message || e) });
    }
  } else if (m.type === 'run') {
    const input = new Float32Array(m.input, m.byteOffset, m.length);
    try {
      const feeds = { [m.inputName]: new ort.Tensor('float32', input, m.dims) };
      for (const [name, data] of Object.entries(m.indices || {})) feeds[name] = new ort.Tensor('int32', data, [data.length]);
      const out = await session.run(feeds, m.fetches);
      const outputs = {};
      const transfer = [m.input];
      for (const name of m.fetches) {
        const t = out[name];
        outputs[name] = { type: t.type, dims: t.dims, data: t.data };
        const buffer = t.data.buffer;
        // Transfer each output's memory to the caller unless another output shares it.
        if (buffer instanceof ArrayBuffer && !transfer.includes(buffer)) transfer.push(buffer);
      }
      reply({ id: m.id, outputs, input: m.input }, transfer);
    } catch (e) {
      reply({ id: m.id, error: String(e && e.message || e), input: m.input }, [m.input]);
    }
  } else if (m.type === 'release') {
    try {
      if (session) await session.release();
    } finally {
      session = undefined;
      reply({ id: m.id });
    }
  }
}
`;

interface Pending {
  resolve(message: WorkerReply): void;
  reject(error: Error): void;
}

interface WorkerReply {
  id: number;
  error?: string;
  outputs?: Record<string, SessionOutput>;
  input?: ArrayBuffer;
}

/**
 * A worker thread holding one model's bytes, which opens at most one session from them. The worker
 * keeps the process alive only while requests are in flight, so an extractor nobody disposed does
 * not hold the process open.
 */
export class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure?: Error;

  constructor(model: Uint8Array, private readonly label: string) {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    // Transfer the model when the array spans its whole buffer (a freshly encoded model does);
    // otherwise the structured clone copies just the view.
    const whole = model.byteOffset === 0 && model.byteLength === model.buffer.byteLength && model.buffer instanceof ArrayBuffer;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath, model },
      transferList: whole ? [model.buffer as ArrayBuffer] : [],
    });
    this.worker.unref();
    this.worker.on('message', (m: WorkerReply) => this.settle(m));
    this.worker.on('error', (e) => this.fail(new PerceptError(`The onnxruntime worker thread for ${label} failed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new PerceptError(`The onnxruntime worker thread for ${label} exited (code ${code}) with ${this.pending.size} request(s) unanswered.`));
    });
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle(m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    p.resolve(m);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }

  /** Opens the session with these options; rejects with onnxruntime's message if it cannot. */
  async open(options: ort.InferenceSession.SessionOptions): Promise<RunnableSession> {
    const r = await this.request({ type: 'open', options });
    if (r.error !== undefined) throw new Error(r.error);
    return {
      thread: 'worker',
      run: (inputName, input, dims, fetches, indices) => this.run(inputName, input, dims, fetches, indices),
      release: () => this.terminate(),
    };
  }

  private async run(inputName: string, input: Float32Array, dims: readonly number[], fetches: readonly string[], indices?: IndexFeeds): Promise<SessionRunResult> {
    // Read the view's geometry now: transferring its buffer detaches it (length and offset become 0).
    const { buffer, byteOffset, length } = input;
    const r = await this.request(
      { type: 'run', inputName, input: buffer, byteOffset, length, dims: [...dims], fetches: [...fetches], indices },
      [buffer as ArrayBuffer],
    );
    if (r.error !== undefined) throw new PerceptError(`onnxruntime failed to run ${this.label}: ${r.error}`);
    return { outputs: r.outputs!, input: new Float32Array(r.input!, byteOffset, length) };
  }

  /** Releases the session (if one opened) and stops the thread. */
  async terminate(): Promise<void> {
    if (!this.failure) {
      try {
        await this.request({ type: 'release' });
      } catch {
        // The thread is going away regardless.
      }
    }
    this.failure ??= new PerceptError(`The onnxruntime session for ${this.label} was released.`);
    await this.worker.terminate();
  }
}
