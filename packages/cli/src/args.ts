import { ExitCode, PerceptError } from '@percept/core';

/** Runs a parseArgs call, turning its errors into usage errors that name the command. */
export function withUsageErrors<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new PerceptError(`${command}: ${(e as Error).message}`, { exitCode: ExitCode.usage, hint: `Run "percept ${command} --help".` });
  }
}

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new PerceptError(`${flag} must be a positive integer, got "${value}".`, { exitCode: ExitCode.usage });
  return n;
}
