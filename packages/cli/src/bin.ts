#!/usr/bin/env node
import { ExitCode } from '@percept/core/errors';
import { runCli } from './main.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
  (code) => {
    // After an interrupt the grace period is over: a job that ignored its abort signal must not
    // keep the process alive.
    if (code === ExitCode.interrupted) process.exit(code);
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`percept: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = ExitCode.internal;
  },
);
