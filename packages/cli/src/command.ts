/**
 * A `percept` sub-command. Each lives in its own module under commands/ and is listed in
 * commands/index.ts; the binary dispatches on the first word(s) of argv.
 */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Set by --verbose: print stack traces and debug logs. */
  verbose: boolean;
}

export interface CliCommand {
  /** The words that select this command, e.g. "run" or "data synth-2afc". */
  name: string;
  /** One line for `percept --help`. */
  summary: string;
  /** Full usage text for `percept <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw PerceptError for user errors. */
  run(argv: string[], io: CliIO): Promise<number>;
}
