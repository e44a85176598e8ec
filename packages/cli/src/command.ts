/**
 * `percept` sub-commands. Each lives in its own module under commands/ and is listed, with its
 * summary, in commands/index.ts; the binary dispatches on the first word(s) of argv.
 */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Set by --verbose: print stack traces and debug logs. */
  verbose: boolean;
}

/** What a command module exports: its words, its usage text and how to run it. */
export interface CommandImplementation {
  /** The words that select this command, e.g. "run" or "data synth-2afc". */
  name: string;
  /** Full usage text for `percept <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw PerceptError for user errors. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A command with its one-line summary, for `percept --help`. */
export interface CliCommand extends CommandImplementation {
  summary: string;
}

/**
 * A command listed by name and summary, its module imported only when it runs: `percept --help`
 * and light commands then do not pay for loading every package (onnxruntime, tfjs, sharp, …).
 */
export interface LazyCliCommand {
  name: string;
  summary: string;
  load(): Promise<CommandImplementation>;
}
