/**
 * `percept distance` end to end: spawns the built binary (dist/bin.js, built by `npm test` before
 * the tests run) with only PERCEPT_ASSETS set, as a user would, and checks its output against the
 * official LPIPS values in reference/lpips-examples.json.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedAssets } from '@percept/core/testing';
import { readImage, resize, writePng } from '@percept/images';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', 'dist', 'bin.js');
const built = existsSync(resolve(here, '..', 'dist', 'commands', 'distance.js'));
if (!built) {
  const reason = `${bin} (with commands/distance.js) is not built; run the build (npm test does) first`;
  if (process.env.CI === 'true') throw new Error(`${reason}: required under CI=true`);
  console.warn(`[skip] ${reason}`);
}

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/squeezenet1_1-features.safetensors',
  'weights/lpips-v0.1-alex-lin.safetensors', 'images/lpips-examples/ex_dir0/0.png', 'reference/lpips-examples.json',
);

interface RefPair { net: string; variant: string; a: string; b: string; distance: number; perLayer: number[] }
interface Run { code: number | null; stdout: string; stderr: string }

function percept(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], {
      cwd,
      // Only what a user sets: no test-runner variables leak into the CLI.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ORT_DISABLE_TELEMETRY: '1', PERCEPT_ASSETS: assets.dir, ...env },
    }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe.skipIf(!assets.available || !built)('percept distance (built binary, real weights)', () => {
  let work: string;
  let ref: RefPair[];
  const official = (net: string, variant: string, a: string, b: string) => ref.find((p) => p.net === net && p.variant === variant && p.a === a && p.b === b)!;

  beforeAll(async () => {
    ref = (JSON.parse(await readFile(assets.refPath('lpips-examples.json'), 'utf8')) as { pairs: RefPair[] }).pairs;
    work = await mkdtemp(join(tmpdir(), 'percept-distance-cli-'));
    await cp(assets.path('images/lpips-examples'), join(work, 'ex'), { recursive: true });
    // A 40x32 version of ex_p0 for the size checks.
    await writePng(join(work, 'small.png'), resize(await readImage(join(work, 'ex', 'ex_p0.png')), 32, 40));
  });
  afterAll(async () => { await rm(work, { recursive: true, force: true }); });

  it('prints the LPIPS (alex, lin) distance of a pair, as the official code computes it', async () => {
    const r = await percept(['distance', 'ex/ex_ref.png', 'ex/ex_p0.png', '--backbone', 'alexnet', '--distance', 'lpips', '--variant', 'lin', '--per-layer'], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, ...layers] = r.stdout.trim().split('\n');
    const want = official('alex', 'lin', 'ex_ref.png', 'ex_p0.png');
    expect(rel(Number(first), want.distance)).toBeLessThan(1e-4);
    expect(layers.map((l) => l.trim().split(/\s+/)[0])).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    layers.forEach((l, k) => expect(rel(Number(l.trim().split(/\s+/)[1]), want.perLayer[k])).toBeLessThan(1e-4));
  });

  it('--json reports the value, per-layer terms, the weights found under PERCEPT_ASSETS and the engine', async () => {
    const r = await percept(['distance', 'ex/ex_ref.png', 'ex/ex_p1.png', '--backbone', 'squeezenet1_1', '--variant', 'baseline', '--json'], work);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { value: number; perLayer: Record<string, number>; weights: { path: string } };
    const want = official('squeeze', 'baseline', 'ex_ref.png', 'ex_p1.png');
    expect(out).toMatchObject({ a: 'ex/ex_ref.png', b: 'ex/ex_p1.png', distance: 'lpips', variant: 'baseline', backbone: 'squeezenet1_1', resize: 'none', size: [64, 64] });
    expect(rel(out.value, want.distance)).toBeLessThan(1e-4);
    expect(Object.keys(out.perLayer)).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5', 'relu6', 'relu7']);
    Object.values(out.perLayer).forEach((v, k) => expect(rel(v, want.perLayer[k])).toBeLessThan(1e-4));
    expect(out.weights.path).toBe(join(assets.dir, 'weights', 'squeezenet1_1-features.safetensors'));
    expect(out).not.toHaveProperty('lin');
    expect(out.engine).toMatchObject({ engine: 'onnxruntime-node' });
  });

  it('refuses images of different sizes with exit code 5 and names both, unless --resize says how', async () => {
    const r = await percept(['distance', 'ex/ex_ref.png', 'small.png'], work);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Images differ in size: ex/ex_ref.png is 64x64 (WxH) but small.png is 40x32');
    expect(r.stderr).toContain('--resize a-to-b');
    const ok = await percept(['distance', 'small.png', 'ex/ex_ref.png', '--resize', 'a-to-b', '--spatial', 'map.png'], work);
    expect(ok.code).toBe(0);
    expect(Number(ok.stdout.trim())).toBeGreaterThan(0);
    const map = await readImage(join(work, 'map.png'));
    expect(map.shape).toEqual([1, 64, 64, 3]);
  });

  it('directory mode pairs files by name and writes a CSV with a column per layer', async () => {
    const r = await percept(['distance', '--dir0', 'ex/ex_dir0', '--dir1', 'ex/ex_dir1', '-o', 'out.csv'], work);
    expect(r.code).toBe(0);
    const lines = (await readFile(join(work, 'out.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('a,b,distance,relu1,relu2,relu3,relu4,relu5');
    expect(lines.length).toBe(3);
    for (const line of lines.slice(1)) {
      const [a, b, ...values] = line.split(',');
      const want = official('alex', 'lin', a.replace(/^ex\//, ''), b.replace(/^ex\//, ''));
      expect(want, `reference pair for ${a}, ${b}`).toBeTruthy();
      [want.distance, ...want.perLayer].forEach((w, k) => expect(rel(Number(values[k]), w)).toBeLessThan(1e-4));
    }
  });

  it('directory mode names every image without a partner', async () => {
    const d1 = join(work, 'partial1');
    await mkdir(d1);
    await cp(join(work, 'ex', 'ex_dir1', '0.png'), join(d1, '0.png'));
    await cp(join(work, 'ex', 'ex_ref.png'), join(d1, 'extra.png'));
    const r = await percept(['distance', '--dir0', 'ex/ex_dir0', '--dir1', 'partial1'], work);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/2 have no partner \(in .*ex_dir0 but not in .*partial1: 1\.png; in .*partial1 but not in .*ex_dir0: extra\.png\)/);
  });

  it('says which weights file it looked for where, and how to provide it', async () => {
    const empty = join(work, 'no-assets');
    await mkdir(empty);
    const r = await percept(['distance', 'ex/ex_ref.png', 'ex/ex_p0.png'], work, { PERCEPT_ASSETS: empty });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`expected weights/alexnet-features.safetensors under ${empty}`);
    expect(r.stderr).toMatch(/--weights FILE.*PERCEPT_ASSETS.*percept models fetch/s);
  });
});
