/**
 * Errors a user can act on. The CLI prints their message as one paragraph without a stack trace
 * (unless --verbose) and exits with the code of their category.
 */
export const ExitCode = {
  ok: 0,
  /** An unexpected failure inside Percept (a bug): the stack is always printed. */
  internal: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** The workflow file failed validation; nothing ran. */
  invalidWorkflow: 3,
  /** A step failed while running. */
  stepFailed: 4,
  /** The run was interrupted by SIGINT/SIGTERM; finished artifacts are kept. */
  interrupted: 130,
  /** Bad input data, weights or options outside a workflow. */
  badInput: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class PerceptError extends Error {
  /** A hint shown after the message, e.g. "did you mean …". */
  readonly hint?: string;
  readonly exitCode: ExitCode;
  constructor(message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PerceptError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.badInput;
  }
}

/** A deterministic error: retrying cannot help (bad configuration, shape mismatch, corrupt file). */
export class InputError extends PerceptError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
    this.name = 'InputError';
  }
}

export function isPerceptError(e: unknown): e is PerceptError {
  return e instanceof PerceptError;
}
