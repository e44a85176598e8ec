import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test helpers: brokers started on 127.0.0.1 for one test file, killed by their own PID. */

export const REDIS_SERVER = '/usr/bin/redis-server';
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Kills the server (SIGKILL when hard) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and data directory (the AOF brings the queues back). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'percept-redis-'));
  const port = await freePort();
  const launch = async () => {
    const proc = spawn(REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction', '--dir', dir, '--save', '', '--protected-mode', 'yes',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitFor(() => /Ready to accept connections/.test(out) || proc.exitCode !== null, 'redis-server to start', 15_000);
    if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    return proc;
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    proc: await launch(),
    async stop(hard = false) {
      const p = server.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
    async restart() {
      server.proc = await launch();
    },
    async dispose() {
      await server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

export interface PostgresServer {
  url: string;
  dispose(): Promise<void>;
}

/**
 * initdb + postgres in a temp dir on 127.0.0.1. PostgreSQL refuses to run as root, so as root
 * it runs as the "postgres" user (runuser). Returns a reason string when that cannot work.
 */
export async function startPostgres(): Promise<PostgresServer | string> {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `PostgreSQL 15 is not installed (${PG_BIN}/initdb)`;
  const root = process.getuid?.() === 0;
  if (root && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no "postgres" user to run the server as';
  const dir = mkdtempSync(join(tmpdir(), 'percept-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const as = (args: string[]) => (root ? ['runuser', ['-u', 'postgres', '--', ...args]] as const : [args[0], args.slice(1)] as const);
  const [cmd, args] = as([join(PG_BIN, 'initdb'), '-D', data, '-U', 'percept', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(cmd, [...args], { encoding: 'utf8', timeout: 60_000 });
  if (init.status !== 0) { rmSync(dir, { recursive: true, force: true }); return `initdb failed: ${init.stderr || init.stdout}`; }
  const [pcmd, pargs] = as([join(PG_BIN, 'postgres'), '-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-F']);
  const proc = spawn(pcmd, [...pargs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  try {
    await waitFor(() => /ready to accept connections/.test(out) || proc.exitCode !== null, 'postgres to start', 30_000);
  } catch (e) {
    proc.kill('SIGKILL');
    return `postgres did not start: ${(e as Error).message}\n${out}`;
  }
  if (proc.exitCode !== null) return `postgres exited: ${out}`;
  return {
    url: `postgres://percept@127.0.0.1:${port}/postgres`,
    async dispose() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        // pg_ctl stops exactly this data directory's server (its PID is in postmaster.pid).
        const [c, a] = as([join(PG_BIN, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate']);
        spawnSync(c, [...a], { timeout: 20_000 });
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
