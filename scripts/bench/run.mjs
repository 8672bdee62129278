#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench -- <scenario> [options]`. Each scenario is a module in this
// folder exporting `run(args)`; it prints its numbers and writes its result JSON to docs/benchmarks/
// (report.mjs then rebuilds docs/benchmarks.md from the newest result of every scenario).
// Needs the compiled code (`npm run bench` builds first). A scenario declares what it runs on with
// `export const needs = ['postgres', 'kafka']` (default: PostgreSQL only). DATABASE_URL and
// KAFKA_BROKERS name the servers; when one is missing, this starts a throwaway one with
// scripts/infra (in .infra/bench, or FEEDWERK_BENCH_INFRA_DIR) and stops it afterwards. Every run creates and drops
// its own database and uses its own topic prefix there.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './lib/infra.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4));
const [name, ...args] = process.argv.slice(2);
if (!name || !scenarios.includes(name)) {
  console.error(`usage: npm run bench -- <scenario> [options]\nscenarios: ${scenarios.join(', ')}`);
  process.exit(2);
}
const scenario = await import(`./${name}.mjs`);
// One implementation of "start what is missing" (lib/infra.mjs): a scenario that calls ensureInfra
// itself gets the servers started here (and may still, e.g., turn on commit timestamps in them).
const infra = ensureInfra(scenario.needs ?? ['postgres']);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    infra.stop();
    process.exit(130);
  });
try {
  await scenario.run(args);
} finally {
  infra.stop();
}
