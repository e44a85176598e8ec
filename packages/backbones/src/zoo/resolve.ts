/**
 * Finding a zoo entry's file: offline under PERCEPT_ASSETS (its declared local names), else in the
 * PERCEPT_HOME cache (hash-verified), else an error that says where it looked and how to fetch it.
 * Fetching downloads into the cache through @percept/core's resumable, verifying downloader.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InputError, assetsDir, didYouMean, downloadVerified, parseExpectedHash, perceptHome, sha256OfFile, type DownloadOptions,
} from '@percept/core';
import { ZOO_ENTRIES } from './entries.js';
import type { ZooEntry, ZooLocalName } from './types.js';

export interface ZooContext {
  env?: NodeJS.ProcessEnv;
  /** The entry table (default: the built-in zoo); tests pass their own. */
  entries?: readonly ZooEntry[];
}

/** Looks an entry up by id or alias (case-insensitive); unknown names are an error with suggestions. */
export function findZooEntry(name: string, ctx: ZooContext = {}): ZooEntry {
  const entries = ctx.entries ?? ZOO_ENTRIES;
  const key = name.toLowerCase();
  const hit = entries.find((e) => e.id.toLowerCase() === key || e.aliases.some((a) => a.toLowerCase() === key));
  if (hit) return hit;
  const names = entries.flatMap((e) => [e.id, ...e.aliases]);
  throw new InputError(`model zoo: unknown entry "${name}"`, { hint: didYouMean(name, names) ?? `run \`percept models list\` to see the ${entries.length} entries` });
}

/** Where a downloaded entry lives: `<PERCEPT_HOME>/models/<id>/<fileName>`. */
export function zooCachePath(entry: ZooEntry, env: NodeJS.ProcessEnv = process.env): string {
  return join(perceptHome(env), 'models', ...entry.id.split('/'), entry.fileName);
}

/** Whether a full sha256 matches the entry's expected hash (full or prefix); true when none is pinned. */
export function entryHashMatches(entry: ZooEntry, sha256: string): boolean {
  if (entry.sha256 === null) return true;
  return sha256.startsWith(parseExpectedHash(entry.sha256, `zoo entry ${entry.id}`));
}

export interface ZooLocation {
  path: string;
  where: 'local' | 'cache';
  /** The local name that matched (where = local). */
  local?: ZooLocalName;
  /** Whether the file must match the entry's hash (official bytes: the cache or an official local copy). */
  checkHash: boolean;
}

export interface LocateOptions extends ZooContext {
  /** The backbone is built without its head: trunk-only local files are acceptable. */
  trunk?: boolean;
}

/**
 * Finds the entry's file without reading it: the first existing local name under PERCEPT_ASSETS,
 * else the cache file. Throws an InputError naming every place it looked.
 */
export function locateZooFile(entry: ZooEntry, options: LocateOptions = {}): ZooLocation {
  const env = options.env ?? process.env;
  const assets = assetsDir(env);
  const looked: string[] = [];
  for (const local of entry.localNames) {
    if (local.trunkOnly && options.trunk === false) continue;
    const path = assets ? join(assets, local.path) : undefined;
    if (path && existsSync(path)) return { path, where: 'local', local, checkHash: Boolean(local.official) };
    looked.push(path ? `expected ${local.path} under ${assets} (${path} not found)` : `expected ${local.path} under PERCEPT_ASSETS (unset, and no ../shared/assets)`);
  }
  const cached = zooCachePath(entry, env);
  if (existsSync(cached)) return { path: cached, where: 'cache', checkHash: true };
  looked.push(`not in the cache (${cached} not found)`);
  throw new InputError(`model zoo entry "${entry.id}": ${looked.join('; ')}`, {
    hint: entry.url
      ? `Download it with \`percept models fetch ${entry.id}\` (into ${perceptHome(env)}), set PERCEPT_ASSETS to a folder holding ${entry.localNames.map((l) => l.path).join(' or ') || 'it'}, or pass the file path.`
      : `"${entry.id}" is local-only (${entry.hashNote ?? 'no official download'}): set PERCEPT_ASSETS to a folder holding ${entry.localNames.map((l) => l.path).join(' or ')}, or pass the file path.`,
  });
}

/** Checks a located file against the entry's hash; returns its full sha256. */
export async function verifyZooFile(entry: ZooEntry, location: ZooLocation): Promise<string> {
  const sha256 = await sha256OfFile(location.path);
  if (location.checkHash && !entryHashMatches(entry, sha256)) {
    const fix = location.where === 'cache' ? `run \`percept models fetch ${entry.id} --force\` to download it again` : 'replace it with the official file';
    throw new InputError(`${location.path}: sha256 ${sha256} does not match zoo entry "${entry.id}" (expected ${entry.sha256!.length === 64 ? entry.sha256 : `a hash starting with ${entry.sha256}`}): the file is corrupt or not the official one`, { hint: fix });
  }
  return sha256;
}

export interface ResolvedZooFile extends ZooLocation {
  entry: ZooEntry;
  sha256: string;
}

/** Locates and verifies an entry's file (offline first, then the cache). */
export async function resolveZooFile(entry: ZooEntry, options: LocateOptions = {}): Promise<ResolvedZooFile> {
  const location = locateZooFile(entry, options);
  return { ...location, entry, sha256: await verifyZooFile(entry, location) };
}

export interface ZooStatus {
  /** The first local name that exists under PERCEPT_ASSETS. */
  local?: string;
  /** The cache file, when present (not hashed here: listing must stay cheap). */
  cached?: string;
}

export function zooStatus(entry: ZooEntry, env: NodeJS.ProcessEnv = process.env): ZooStatus {
  const assets = assetsDir(env);
  const local = assets ? entry.localNames.map((l) => join(assets, l.path)).find((p) => existsSync(p)) : undefined;
  const cachePath = zooCachePath(entry, env);
  return { ...(local ? { local } : {}), ...(existsSync(cachePath) ? { cached: cachePath } : {}) };
}

export interface FetchZooOptions extends ZooContext, Pick<DownloadOptions, 'attempts' | 'retryDelayMs' | 'signal' | 'onBytes'> {
  /** Download again even when a verified copy is cached. */
  force?: boolean;
  /** A mirror: the file is fetched from `<baseUrl>/<fileName>` instead of the official URL. */
  baseUrl?: string;
}

export interface FetchedZooFile {
  entry: ZooEntry;
  path: string;
  url: string;
  bytes: number;
  sha256: string;
  /** True when a verified copy was already in the cache. */
  cached: boolean;
}

/** Downloads an entry into the cache (resumable, verified, placed atomically). */
export async function fetchZooEntry(entry: ZooEntry, options: FetchZooOptions = {}): Promise<FetchedZooFile> {
  const env = options.env ?? process.env;
  const dest = zooCachePath(entry, env);
  if (!entry.url && !options.baseUrl) {
    throw new InputError(`model zoo entry "${entry.id}" has no download URL: ${entry.hashNote ?? 'it is local-only'}`, {
      hint: `Set PERCEPT_ASSETS to a folder holding ${entry.localNames.map((l) => l.path).join(' or ')}.`,
    });
  }
  const url = options.baseUrl ? `${options.baseUrl.replace(/\/+$/, '')}/${entry.fileName}` : entry.url!;
  if (!options.force && existsSync(dest)) {
    const sha256 = await sha256OfFile(dest);
    if (entryHashMatches(entry, sha256)) {
      const { size } = await stat(dest);
      return { entry, path: dest, url, bytes: size, sha256, cached: true };
    }
    // A cached file that fails verification is replaced, never used.
  }
  await mkdir(join(dest, '..'), { recursive: true });
  const { bytes, sha256 } = await downloadVerified(url, dest, {
    ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
    attempts: options.attempts,
    retryDelayMs: options.retryDelayMs,
    signal: options.signal,
    onBytes: options.onBytes,
    hint: options.baseUrl ? `Check --base-url: the official file is ${entry.url ?? '(none: local-only)'}` : undefined,
  });
  return { entry, path: dest, url, bytes, sha256, cached: false };
}
