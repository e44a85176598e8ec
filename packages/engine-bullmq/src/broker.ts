import { FlowProducer, Queue, QueueEvents, Worker, createPostgresBackend, type Processor, type WorkerOptions } from 'bullmq';
import { ExitCode, PerceptError } from '@percept/core';

/**
 * Where the queues live. BullMQ 6.7 has two datastores behind one API: Redis (the default
 * backend) and PostgreSQL (`createPostgresBackend`, schema migrated on first connect). Every
 * queue class takes the same options plus an optional backend factory, so the rest of this
 * package never looks at which one it has.
 */
export interface Broker {
  kind: 'redis' | 'postgres';
  /** The URL as given, with any password masked (for messages and manifests). */
  display: string;
  queue(name: string): Queue;
  flowProducer(): FlowProducer;
  events(name: string): QueueEvents;
  worker(name: string, processor: Processor, opts: Omit<WorkerOptions, 'connection'>): Worker;
}

function mask(url: URL): string {
  const u = new URL(url.href);
  if (u.password) u.password = '***';
  return u.href;
}

/** Parses `redis://[user:pass@]host:port[/db]` or `postgres://user@host:port/db`. */
export function openBroker(url: string): Broker {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PerceptError(`--broker: "${url}" is not a URL; expected redis://host:port or postgres://user@host:port/db.`, { exitCode: ExitCode.usage });
  }
  if (u.protocol === 'redis:' || u.protocol === 'rediss:') {
    const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
    if (!Number.isInteger(db) || db < 0) throw new PerceptError(`--broker: the Redis database in "${mask(u)}" must be a number, e.g. redis://host:6379/0.`, { exitCode: ExitCode.usage });
    // Workers need maxRetriesPerRequest null: a blocking command must survive a broker blip
    // rather than reject (BullMQ refuses other values for workers).
    const connection = {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 6379,
      db,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      maxRetriesPerRequest: null,
      // Reconnect quickly but not in a hot loop while the broker restarts.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
    return {
      kind: 'redis',
      display: mask(u),
      queue: (name) => new Queue(name, { connection }),
      flowProducer: () => new FlowProducer({ connection }),
      events: (name) => new QueueEvents(name, { connection }),
      worker: (name, processor, opts) => new Worker(name, processor, { ...opts, connection }),
    };
  }
  if (u.protocol === 'postgres:' || u.protocol === 'postgresql:') {
    // Every process may create the schema: BullMQ serializes migrations with an advisory lock,
    // so the first coordinator or worker to connect sets the database up.
    const connection = { connectionString: url, migrate: true };
    const factory = createPostgresBackend;
    return {
      kind: 'postgres',
      display: mask(u),
      queue: (name) => new Queue(name, { connection }, factory) as unknown as Queue,
      flowProducer: () => new FlowProducer({ connection }, factory) as unknown as FlowProducer,
      events: (name) => new QueueEvents(name, { connection }, factory) as unknown as QueueEvents,
      worker: (name, processor, opts) => new Worker(name, processor, { ...opts, connection }, factory) as unknown as Worker,
    };
  }
  throw new PerceptError(`--broker: unsupported scheme "${u.protocol}" in "${mask(u)}"; use redis:// or postgres://.`, { exitCode: ExitCode.usage });
}
