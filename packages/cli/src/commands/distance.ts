/**
 * `percept distance`: the perceptual distance between two images, or between same-named images
 * of two folders (written as CSV). Thin over createPerceptualDistance: this module only reads
 * images, reconciles their sizes under an explicit --resize policy, and formats the output.
 */
import { parseArgs } from 'node:util';
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { ExitCode, InputError, PerceptError, writeFileAtomic, type ImageBatch } from '@percept/core';
import type { CliIO, CommandImplementation } from '../command.js';
import type { PerceptualDistance, PerceptualDistanceOptions } from '../perceptual-distance.js';

const usage = `Usage: percept distance <a.png> <b.png> [options]
       percept distance --dir0 <dir> --dir1 <dir> [-o out.csv] [options]

Perceptual distance between two images (LPIPS by default: AlexNet trunk with the LPIPS v0.1
lin weights). Images are read as RGB in [0,1]; the backbone's own preprocessing (LPIPS'
ScalingLayer) is applied for you.

Options:
  --backbone <name>      alexnet (default), squeezenet1_1, vgg16, or any registered backbone
  --distance <name>      lpips (default), mean-pool, style; pixel metrics l2, ssim, psnr, dssim
  --variant lin|baseline lpips only: learned channel weights (default) or all ones (Kumar et al.'s PS distance)
  --backend onnx|tfjs    engine (default onnx)
  --weights <file>       trunk checkpoint (.safetensors/.pth); default "pretrained" from PERCEPT_ASSETS
  --lin <file>           LPIPS lin weights; default weights/lpips-v0.1-<net>-lin.safetensors under PERCEPT_ASSETS
  --resize <policy>      when sizes differ: none (default: an error), a-to-b (resize a to b's size),
                         shorter-64 (both to shorter side 64, keeping the aspect ratio)
  --per-layer            also print each layer's term
  --json                 print one JSON object (value, per-layer terms, weights and engine used)
  --spatial <out.png>    lpips only: write the per-pixel distance map as a heatmap PNG
  --dir0, --dir1 <dir>   compare every image of dir0 with the same-named image of dir1
  -o, --output <file>    directory mode: CSV file to write (default: standard output)

Example: percept distance ex_ref.png ex_p0.png --backbone squeezenet1_1 --variant baseline
Weights are looked for under PERCEPT_ASSETS (weights/alexnet-features.safetensors, ...). Docs: docs/lpips.md.`;

const options = {
  backbone: { type: 'string' },
  distance: { type: 'string' },
  variant: { type: 'string' },
  backend: { type: 'string' },
  weights: { type: 'string' },
  lin: { type: 'string' },
  resize: { type: 'string' },
  'per-layer': { type: 'boolean' },
  json: { type: 'boolean' },
  spatial: { type: 'string' },
  dir0: { type: 'string' },
  dir1: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ResizePolicy = 'none' | 'a-to-b' | 'shorter-64';
const RESIZE_POLICIES: readonly ResizePolicy[] = ['none', 'a-to-b', 'shorter-64'];
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff']);
/** Pairs per engine call in directory mode: small enough to bound memory on large images. */
const DIR_BATCH = 16;

function usageError(message: string): PerceptError {
  return new PerceptError(`percept distance: ${message}`, { exitCode: ExitCode.usage, hint: 'Run `percept distance --help` for usage.' });
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

/** Seven significant digits: all a float32 result carries. */
export function formatValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v);
}

const sizeText = (x: ImageBatch) => `${x.shape[2]}x${x.shape[1]}`;

/** Brings a and b to one size under `policy`; differing sizes without a policy are an error naming both files. */
export async function reconcileSizes(a: ImageBatch, b: ImageBatch, policy: ResizePolicy, names: [string, string]): Promise<[ImageBatch, ImageBatch]> {
  const same = (x: ImageBatch, y: ImageBatch) => x.shape[1] === y.shape[1] && x.shape[2] === y.shape[2];
  if (policy === 'none') {
    if (!same(a, b)) {
      throw new InputError(`Images differ in size: ${names[0]} is ${sizeText(a)} (WxH) but ${names[1]} is ${sizeText(b)}`, {
        hint: 'Pass --resize a-to-b (resize the first to the second) or --resize shorter-64 to compare them anyway.',
      });
    }
    return [a, b];
  }
  const { resize, resizeShorter } = await import('@percept/images');
  if (policy === 'a-to-b') return [same(a, b) ? a : resize(a, b.shape[1], b.shape[2]), b];
  const [ra, rb] = [resizeShorter(a, 64), resizeShorter(b, 64)];
  if (!same(ra, rb)) {
    throw new InputError(`--resize shorter-64: ${names[0]} (${sizeText(a)}) and ${names[1]} (${sizeText(b)}) have different aspect ratios and become ${sizeText(ra)} and ${sizeText(rb)}`, {
      hint: 'Use --resize a-to-b to stretch the first image to the second one\'s size.',
    });
  }
  return [ra, rb];
}

/** Image files of a folder by name (sorted), excluding anything that is not an image. */
async function listImages(dir: string, flag: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`${flag} ${dir}: cannot list the folder (${(e as Error).message})`, { cause: e });
  }
  return entries.filter((e) => e.isFile() && IMAGE_EXT.has(extname(e.name).toLowerCase())).map((e) => e.name).sort();
}

/** Pairs the two folders by file name; a file without its partner is an error listing all of them. */
export async function pairFolders(dir0: string, dir1: string): Promise<string[]> {
  const [n0, n1] = await Promise.all([listImages(dir0, '--dir0'), listImages(dir1, '--dir1')]);
  if (n0.length === 0) throw new InputError(`--dir0 ${dir0}: no image files (${[...IMAGE_EXT].join(', ')})`);
  const s0 = new Set(n0), s1 = new Set(n1);
  const only0 = n0.filter((n) => !s1.has(n)), only1 = n1.filter((n) => !s0.has(n));
  if (only0.length || only1.length) {
    const parts = [];
    if (only0.length) parts.push(`in ${dir0} but not in ${dir1}: ${only0.join(', ')}`);
    if (only1.length) parts.push(`in ${dir1} but not in ${dir0}: ${only1.join(', ')}`);
    throw new InputError(`--dir0/--dir1: images are paired by file name, and ${only0.length + only1.length} have no partner (${parts.join('; ')})`);
  }
  return n0;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function checkPolicy(value: string | undefined): ResizePolicy {
  const p = (value ?? 'none') as ResizePolicy;
  if (!RESIZE_POLICIES.includes(p)) throw usageError(`--resize must be one of ${RESIZE_POLICIES.join(', ')}, got "${value}"`);
  return p;
}

function distanceOptions(values: ReturnType<typeof parse>['values'], io: CliIO): PerceptualDistanceOptions {
  const variant = values.variant;
  if (variant !== undefined && variant !== 'lin' && variant !== 'baseline') throw usageError(`--variant must be "lin" or "baseline", got "${variant}"`);
  const path = (p: string | undefined) => (p === undefined || p === 'pretrained' || p === 'random' ? p : resolve(io.cwd, p));
  return {
    ...(values.backbone !== undefined ? { backbone: values.backbone } : {}),
    ...(values.distance !== undefined ? { distance: values.distance } : {}),
    ...(variant !== undefined ? { variant } : {}),
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
    ...(values.weights !== undefined ? { weights: path(values.weights) } : {}),
    ...(values.lin !== undefined ? { lin: path(values.lin) } : {}),
    baseDir: io.cwd,
    env: io.env,
  };
}

/** Reads the two images and brings them to one size (before any model is loaded: errors come fast). */
async function readPair(files: [string, string], policy: ResizePolicy, io: CliIO): Promise<[ImageBatch, ImageBatch]> {
  const { readImage } = await import('@percept/images');
  const [a, b] = await Promise.all(files.map((f) => readImage(resolve(io.cwd, f))));
  return reconcileSizes(a, b, policy, files);
}

async function onePair(d: PerceptualDistance, files: [string, string], [a, b]: [ImageBatch, ImageBatch], policy: ResizePolicy, values: ReturnType<typeof parse>['values'], io: CliIO): Promise<number> {
  const { heatmapPng } = await import('@percept/images');
  const result = await d.distance(a, b);
  const value = result.total[0];
  let spatialFile: string | undefined;
  if (values.spatial !== undefined) {
    const map = await d.spatial(a, b);
    const [, h, w] = map.shape;
    spatialFile = resolve(io.cwd, values.spatial);
    await writeFileAtomic(spatialFile, await heatmapPng(map.total, h, w));
  }
  const perLayer = Object.fromEntries(result.layers.map((l, k) => [l, Number(formatValue(result.perLayer[k][0]))]));
  if (values.json) {
    const info = d.info();
    const out = {
      a: files[0], b: files[1],
      distance: info.distance,
      ...(info.settings.variant !== undefined ? { variant: info.settings.variant } : {}),
      direction: info.direction,
      value: Number(formatValue(value)),
      perLayer,
      size: [a.shape[1], a.shape[2]],
      resize: policy,
      ...(info.backbone ? { backbone: info.backbone.name, weights: info.backbone.weights } : {}),
      ...(info.lin ? { lin: info.lin } : {}),
      ...(info.engine ? { engine: info.engine } : {}),
      ...(spatialFile ? { spatial: spatialFile } : {}),
    };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.ok;
  }
  io.stdout.write(`${formatValue(value)}\n`);
  if (values['per-layer']) {
    const width = Math.max(...result.layers.map((l) => l.length), 0);
    for (const [l, v] of Object.entries(perLayer)) io.stdout.write(`  ${l.padEnd(width)}  ${formatValue(v)}\n`);
  }
  if (spatialFile) io.stderr.write(`Wrote the spatial distance map (${a.shape[2]}x${a.shape[1]}) to ${spatialFile}\n`);
  return ExitCode.ok;
}

async function folders(d: PerceptualDistance, names: readonly string[], dir0: string, dir1: string, policy: ResizePolicy, values: ReturnType<typeof parse>['values'], io: CliIO): Promise<number> {
  const { readImage } = await import('@percept/images');
  const { concatBatches } = await import('@percept/core');
  const rows: string[] = [];
  let header: string | undefined;
  let pending: { name: string; a: ImageBatch; b: ImageBatch }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const r = await d.distance(concatBatches(pending.map((p) => p.a)), concatBatches(pending.map((p) => p.b)));
    header ??= ['a', 'b', 'distance', ...r.layers].map(csvField).join(',');
    pending.forEach((p, i) => {
      rows.push([join(values.dir0!, p.name), join(values.dir1!, p.name)].map(csvField).concat(
        formatValue(r.total[i]), ...r.perLayer.map((l) => formatValue(l[i])),
      ).join(','));
    });
    pending = [];
  };
  for (const name of names) {
    const pa = join(dir0, name), pb = join(dir1, name);
    const [a, b] = await reconcileSizes(await readImage(pa), await readImage(pb), policy, [pa, pb]);
    // A batch holds one size: flush when the size changes.
    if (pending.length && (pending[0].a.shape[1] !== a.shape[1] || pending[0].a.shape[2] !== a.shape[2])) await flush();
    pending.push({ name, a, b });
    if (pending.length >= DIR_BATCH) await flush();
  }
  await flush();
  const csv = `${[header!, ...rows].join('\n')}\n`;
  if (values.output !== undefined) {
    const out = resolve(io.cwd, values.output);
    await writeFileAtomic(out, csv);
    io.stderr.write(`Wrote ${rows.length} distances to ${out}\n`);
  } else {
    io.stdout.write(csv);
  }
  return ExitCode.ok;
}

export const distanceCommand: CommandImplementation = {
  name: 'distance',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv);
    if (values.help) { io.stdout.write(`${usage}\n`); return ExitCode.ok; }
    const policy = checkPolicy(values.resize);
    const dirMode = values.dir0 !== undefined || values.dir1 !== undefined;
    if (dirMode) {
      if (values.dir0 === undefined || values.dir1 === undefined) throw usageError('directory mode needs both --dir0 and --dir1');
      if (positionals.length) throw usageError(`give either two images or --dir0/--dir1, not both (got ${positionals.join(' ')})`);
      if (values.spatial !== undefined) throw usageError('--spatial writes one map, so it works only with two images, not with --dir0/--dir1');
      if (values.json || values['per-layer']) throw usageError('--json and --per-layer are for two images; the directory CSV always has a column per layer');
    } else {
      if (positionals.length !== 2) throw usageError(`expected two image files, got ${positionals.length ? positionals.join(' ') : 'none'}`);
      if (values.output !== undefined) throw usageError('-o/--output is for directory mode (--dir0/--dir1); for two images the result goes to standard output');
    }
    const files: [string, string] = [positionals[0], positionals[1]];
    const dir0 = dirMode ? resolve(io.cwd, values.dir0!) : '', dir1 = dirMode ? resolve(io.cwd, values.dir1!) : '';
    // Inputs first, model second: a missing file or a size mismatch should not wait for weights.
    const names = dirMode ? await pairFolders(dir0, dir1) : [];
    const pair = dirMode ? undefined : await readPair(files, policy, io);
    const [{ createPerceptualDistance }, { createRegistry }] = await Promise.all([import('../perceptual-distance.js'), import('../registry.js')]);
    // The full registry, so backbones and distances from percept.config.json plugins work here too.
    const registry = await createRegistry({ cwd: io.cwd });
    const d = await createPerceptualDistance({ ...distanceOptions(values, io), registry });
    try {
      if (dirMode) return await folders(d, names, dir0, dir1, policy, values, io);
      return await onePair(d, files, pair!, policy, values, io);
    } finally {
      await d.dispose();
    }
  },
};
