#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench -- <scenario> [options]`. Each scenario is a module in this
// folder exporting `run(args)`; it prints its numbers and writes its result JSON to docs/benchmarks/.
// Needs the compiled code (`npm run bench` builds first) and DATABASE_URL of a PostgreSQL server
// (each run creates and drops its own database there).
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = (await readdir(here))
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4));
const [name, ...args] = process.argv.slice(2);
if (!name || !scenarios.includes(name)) {
  console.error(`usage: npm run bench -- <scenario> [options]\nscenarios: ${scenarios.join(', ')}`);
  process.exit(2);
}
const scenario = await import(`./${name}.mjs`);
// A scenario that declares `needs` (e.g. ['postgres', 'kafka']) starts what the environment does not
// name itself (lib/infra.mjs); the others need DATABASE_URL.
if (!scenario.needs && !process.env.DATABASE_URL) {
  console.error(
    'DATABASE_URL is not set: the benchmarks run on a real PostgreSQL server (a fresh database each run)',
  );
  process.exit(2);
}
await scenario.run(args);
