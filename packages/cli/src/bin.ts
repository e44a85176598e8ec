#!/usr/bin/env node
import { runCli } from './main.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`percept: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
