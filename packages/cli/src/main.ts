// Only the error module: `percept --help` should not pay for loading the rest of core.
import { ExitCode, isPerceptError } from '@percept/core/errors';
import type { CliCommand, CliIO, CommandImplementation, LazyCliCommand } from './command.js';
import { commands as registered } from './commands/index.js';

type AnyCommand = CliCommand | LazyCliCommand;

function overview(commands: readonly AnyCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    'Usage: percept <command> [options]',
    '',
    'Measures how well deep image features agree with human perceptual similarity.',
    '',
    'Commands:',
    ...[...commands].sort((a, b) => a.name.localeCompare(b.name)).map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --help, -h     show help (also after a command: percept run --help)',
    '  --verbose      print stack traces and debug messages',
    '  --version      print the version',
  ].join('\n');
}

/** The command named by the longest run of leading words, e.g. "data bapps fetch". */
export function findCommand<C extends { name: string }>(words: readonly string[], commands: readonly C[]): { command: C; rest: string[] } | undefined {
  let best: { command: C; n: number } | undefined;
  for (const c of commands) {
    const parts = c.name.split(' ');
    if (parts.length <= words.length && parts.every((p, i) => words[i] === p) && (!best || parts.length > best.n)) best = { command: c, n: parts.length };
  }
  return best && { command: best.command, rest: words.slice(best.n) };
}

/** Prints a user error as one paragraph (stack only with --verbose); anything else with its stack. */
export function reportError(e: unknown, io: CliIO): number {
  if (isPerceptError(e)) {
    io.stderr.write(`percept: ${e.message}\n`);
    if (e.hint) io.stderr.write(`${e.hint}\n`);
    if (io.verbose && e.stack) io.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  io.stderr.write(`percept: unexpected error (this is a bug in Percept or a plugin):\n${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  return ExitCode.internal;
}

/** Runs `percept <argv…>` and returns the exit code. */
export async function runCli(argv: readonly string[], io: Omit<CliIO, 'verbose'>, commands: readonly AnyCommand[] = registered): Promise<number> {
  const args = [...argv];
  const verbose = args.includes('--verbose');
  const rest = args.filter((a) => a !== '--verbose');
  const cio: CliIO = { ...io, verbose };
  const leading: string[] = [];
  for (const a of rest) {
    if (a.startsWith('-')) break;
    leading.push(a);
  }
  if (rest.length === 0 || ((rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') && leading.length <= 1 && rest.length === 1)) {
    io.stdout.write(`${overview(commands)}\n`);
    return rest.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  if (rest[0] === '--version') {
    const { createRequire } = await import('node:module');
    io.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`);
    return ExitCode.ok;
  }
  const found = findCommand(rest[0] === 'help' ? rest.slice(1) : rest, commands);
  if (!found) {
    const { didYouMean } = await import('@percept/core');
    // Name as many words as a command could have matched: "valdate" for `percept valdate x.json`.
    const known = commands.some((c) => c.name.split(' ')[0] === leading[0]);
    const typed = known ? leading.slice(0, 2).join(' ') : leading[0] ?? rest[0];
    const guess = didYouMean(typed, commands.map((c) => c.name));
    io.stderr.write(`percept: unknown command "${typed}".${guess ? ` ${guess[0].toUpperCase()}${guess.slice(1)}` : ''}\nRun "percept --help" for the list of commands.\n`);
    return ExitCode.usage;
  }
  const command: CommandImplementation = 'load' in found.command ? await found.command.load() : found.command;
  if (rest[0] === 'help' || found.rest.includes('--help') || found.rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(found.rest, cio);
  } catch (e) {
    return reportError(e, cio);
  }
}
