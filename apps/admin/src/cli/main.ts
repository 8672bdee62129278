#!/usr/bin/env node
import { runCli } from './program';

// `npm run admin -- <command>`; the exit code is set, not forced, so piped output is flushed first.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
