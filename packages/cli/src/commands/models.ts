/**
 * `percept models list|info|fetch`: the model zoo. Fetch downloads into PERCEPT_HOME with resume,
 * hash verification and atomic placement; list/info show where each entry is available offline.
 */
import { parseArgs } from 'node:util';
import { ExitCode, PerceptError, perceptHome } from '@percept/core';
import { downloadProgress } from '../command-helpers.js';
import { ZOO_ENTRIES, fetchZooEntry, findZooEntry, zooCachePath, zooStatus, type ZooEntry } from '@percept/backbones';
import type { CliIO, CommandImplementation } from '../command.js';

const usage = `Usage:
  percept models list [--json]
  percept models info <id> [--json]
  percept models fetch <id…> [--force] [--base-url <url>]

The model zoo: official weights (torchvision, LPIPS v0.1 lin, timm, ONNX Model Zoo) with their
expected sha256 (full, or the prefix torchvision embeds in its file names).

Weights are looked up, in order: an explicit path, PERCEPT_ASSETS (each entry's local names), the
cache in PERCEPT_HOME (default ~/.cache/percept). \`fetch\` fills the cache; interrupted downloads resume.

Options:
  --json              machine-readable output
  --force             download again even when a verified copy is cached
  --base-url <url>    a mirror: fetch <url>/<file name> instead of the official URL`;

function usageError(message: string): PerceptError {
  return new PerceptError(`percept models: ${message}`, { hint: usage, exitCode: ExitCode.usage });
}

function formatBytes(n: number | undefined): string {
  if (n === undefined) return '?';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function status(entry: ZooEntry, env: NodeJS.ProcessEnv): string {
  const s = zooStatus(entry, env);
  return [s.local ? 'local' : '', s.cached ? 'cached' : ''].filter(Boolean).join('+') || (entry.url ? 'remote' : 'missing');
}

function describe(entry: ZooEntry, env: NodeJS.ProcessEnv) {
  const s = zooStatus(entry, env);
  return {
    id: entry.id, version: entry.version, aliases: entry.aliases, description: entry.description,
    architecture: entry.architecture, format: entry.format, kind: entry.kind, size: entry.size ?? null, license: entry.license,
    url: entry.url, sha256: entry.sha256, ...(entry.hashNote ? { hashNote: entry.hashNote } : {}),
    preprocessing: entry.preprocessing, taps: entry.taps, localNames: entry.localNames,
    cachePath: zooCachePath(entry, env), local: s.local ?? null, cached: s.cached ?? null,
  };
}

function list(json: boolean, io: CliIO): number {
  if (json) {
    io.stdout.write(`${JSON.stringify(ZOO_ENTRIES.map((e) => describe(e, io.env)), null, 2)}\n`);
    return ExitCode.ok;
  }
  const rows = ZOO_ENTRIES.map((e) => [e.id, e.architecture.backbone ?? '-', e.format, formatBytes(e.size), status(e, io.env), e.license.split(' ')[0]!]);
  const head = ['id', 'architecture', 'format', 'size', 'status', 'license'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) io.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  io.stdout.write(`\nstatus: local = under PERCEPT_ASSETS, cached = in ${perceptHome(io.env)}, remote = \`percept models fetch <id>\` downloads it\n`);
  return ExitCode.ok;
}

function info(id: string, json: boolean, io: CliIO): number {
  const d = describe(findZooEntry(id), io.env);
  if (json) {
    io.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
    return ExitCode.ok;
  }
  const lines: [string, string][] = [
    ['id', `${d.id} (${d.version})`], ['aliases', d.aliases.join(', ') || '-'], ['description', d.description],
    ['architecture', `${d.architecture.backbone ?? '-'}${d.architecture.options ? ` ${JSON.stringify(d.architecture.options)}` : ''}${d.architecture.note ? ` (${d.architecture.note})` : ''}`],
    ['format', `${d.format} (${d.kind})`], ['size', formatBytes(d.size ?? undefined)], ['license', d.license],
    ['url', d.url ?? '- (local only)'], ['sha256', d.sha256 ?? `- (${d.hashNote})`], ['preprocessing', d.preprocessing], ['taps', d.taps.join(', ') || '-'],
    ['local names', d.localNames.map((l) => l.path).join(', ') || '-'], ['cache', `${d.cachePath}${d.cached ? ' (present)' : ''}`], ['found locally', d.local ?? '-'],
  ];
  for (const [k, v] of lines) io.stdout.write(`${k.padEnd(14)}${v}\n`);
  return ExitCode.ok;
}

async function fetchAll(ids: string[], force: boolean, baseUrl: string | undefined, io: CliIO): Promise<number> {
  const entries = ids.map((id) => findZooEntry(id));
  const controller = new AbortController();
  const onSignal = () => controller.abort(new PerceptError('Interrupted; run the command again to resume.', { exitCode: ExitCode.interrupted }));
  process.once('SIGINT', onSignal);
  try {
    for (const entry of entries) {
      const got = await fetchZooEntry(entry, {
        env: io.env, force, ...(baseUrl ? { baseUrl } : {}), signal: controller.signal,
        onBytes: downloadProgress(io.stderr, entry.id),
      });
      if (io.stderr.isTTY && !got.cached) io.stderr.write('\n');
      io.stdout.write(`${entry.id}\t${got.path}\t${got.bytes}\tsha256:${got.sha256}${got.cached ? '\t(cached)' : entry.sha256 ? '\t(verified)' : '\t(no pinned hash)'}\n`);
    }
    return ExitCode.ok;
  } catch (e) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export const modelsCommand: CommandImplementation = {
  name: 'models',
  usage,
  async run(argv, io) {
    let parsed: { values: { json?: boolean; force?: boolean; 'base-url'?: string; help?: boolean }; positionals: string[] };
    try {
      parsed = parseArgs({
        args: argv,
        options: { json: { type: 'boolean' }, force: { type: 'boolean' }, 'base-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: true,
      });
    } catch (e) {
      throw usageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    const [sub, ...rest] = positionals;
    if (values.help || sub === undefined) {
      io.stdout.write(`${usage}\n`);
      return values.help ? ExitCode.ok : ExitCode.usage;
    }
    if (sub === 'list') {
      if (rest.length) throw usageError(`list takes no arguments, got ${rest.join(' ')}`);
      return list(Boolean(values.json), io);
    }
    if (sub === 'info') {
      if (rest.length !== 1) throw usageError('info needs exactly one entry id');
      return info(rest[0]!, Boolean(values.json), io);
    }
    if (sub === 'fetch') {
      if (rest.length === 0) throw usageError('fetch needs at least one entry id (see `percept models list`)');
      return fetchAll(rest, Boolean(values.force), values['base-url'], io);
    }
    throw usageError(`unknown sub-command "${sub}" (list, info, fetch)`);
  },
};

export default modelsCommand;
