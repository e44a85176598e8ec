/**
 * `percept export onnx <backbone>`: builds a registered backbone (its weights loaded strictly or
 * random with a seed), compiles it to ONNX (opset 17, normalisation in the graph head) and writes it.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { InputError, PerceptError, ExitCode, type RegistryView } from '@percept/core';
import type { IRModelSpec } from '@percept/backbones';
import { exportOnnx, writeFileAtomic } from '@percept/backend-onnx';
import type { CommandImplementation } from '../command.js';

const usage = `Usage: percept export onnx <backbone> [--weights <file>|random|pretrained|zoo:<id>] [--seed N] [--taps a,b] [--no-logits] [-o model.onnx]

Compiles a backbone to a standalone ONNX file (opset 17). The file's input "input" is
[N, 3, H, W] float32 RGB in [0, 1]; the backbone's normalisation (scale, mean/std, BGR)
is part of the graph. Each tap becomes a graph output named after it, plus "logits".

Options:
  --weights <w>             a checkpoint (.safetensors, .pth), "random", "pretrained" or "zoo:<id>"
                            (default: the backbone's default)
  --seed N                  seed for random weights (default 0)
  --taps a,b                taps to output (default: all the backbone declares)
  --no-logits               leave out the classifier output
  -o, --output <file>       where to write (default: <backbone>.onnx)

Example: percept export onnx resnet18 --weights resnet18.pth -o r18.onnx`;

const options = {
  weights: { type: 'string' },
  seed: { type: 'string' },
  taps: { type: 'string' },
  'no-logits': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(`percept export onnx: ${(e as Error).message}`);
  }
}

async function defaultRegistry(): Promise<RegistryView> {
  // Loaded lazily so other commands do not pay for importing every plugin.
  const [{ Registry }, { builtinPlugins }] = await Promise.all([import('@percept/core'), import('../builtins.js')]);
  return new Registry(builtinPlugins);
}

function usageError(message: string): PerceptError {
  return new PerceptError(message, { exitCode: ExitCode.usage, hint: 'Run `percept export onnx --help` for usage.' });
}

/** The command, with an injectable registry (tests pass one with their own backbones). */
export function createExportOnnxCommand(getRegistry: () => Promise<RegistryView> = defaultRegistry): CommandImplementation {
  return {
    name: 'export onnx',
    usage,
    async run(argv, io) {
      const { values, positionals } = parse(argv);
      if (values.help) { io.stdout.write(`${usage}\n`); return ExitCode.ok; }
      if (positionals.length !== 1) throw usageError(`percept export onnx: expected one backbone name, got ${positionals.length ? positionals.join(' ') : 'none'}.`);
      const name = positionals[0];
      let seed: number | undefined;
      if (values.seed !== undefined) {
        seed = Number(values.seed);
        if (!Number.isInteger(seed) || seed < 0) throw usageError(`percept export onnx: --seed must be a non-negative integer, got "${values.seed}".`);
      }
      const taps = values.taps?.split(',').map((t) => t.trim()).filter(Boolean);

      const registry = await getRegistry();
      const backbone = registry.get('backbone', name);
      const known = (backbone.optionsSchema as { properties?: Record<string, unknown> }).properties ?? {};
      const buildOptions: Record<string, unknown> = {};
      if (values.weights !== undefined) {
        if (!('weights' in known)) throw new InputError(`Backbone "${name}" takes no "weights" option, so --weights cannot be used with it.`);
        // Passed as given: "random", "pretrained", "zoo:<id>" or a path, which the backbone resolves against baseDir (the cwd).
        buildOptions.weights = values.weights;
      }
      if (seed !== undefined) {
        if (!('seed' in known)) throw new InputError(`Backbone "${name}" takes no "seed" option, so --seed cannot be used with it.`);
        buildOptions.seed = seed;
      }
      const spec = await backbone.build(buildOptions, { baseDir: io.cwd });
      if (spec.kind !== 'ir') {
        throw new InputError(`Backbone "${name}" is a ${spec.kind} model, not an architecture; only IR backbones can be exported to ONNX.`);
      }
      const result = exportOnnx(spec as IRModelSpec, { taps, logits: !values['no-logits'] });
      const out = resolve(io.cwd, values.output ?? `${name}.onnx`);
      await writeFileAtomic(out, result.bytes);
      io.stdout.write(`Wrote ${out} (${(result.bytes.length / 1e6).toFixed(1)} MB, ONNX opset 17)\n`);
      io.stdout.write(`  input   ${result.inputName}: [N, 3, H, W] RGB in [0, 1]\n`);
      for (const o of result.outputs) io.stdout.write(`  output  ${o.output}${o.kind === 'logits' ? ' (logits)' : ''}\n`);
      return ExitCode.ok;
    },
  };
}

export const exportOnnxCommand: CommandImplementation = createExportOnnxCommand();
