#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench -- <scenario> [options]`. Each scenario is a module in this
// folder exporting `run(args)`; it prints its numbers and writes its result JSON to docs/benchmarks/
// (report.mjs then rebuilds docs/benchmarks.md from the newest result of every scenario).
// Needs the compiled code (`npm run bench` builds first). A scenario declares what it runs on with
// `export const needs = ['postgres', 'kafka']` (default: PostgreSQL only). DATABASE_URL and
// KAFKA_BROKERS name the servers; when one is missing, this starts a throwaway one with
// scripts/infra (in its own FEEDWERK_INFRA_DIR) and stops it afterwards. Every run creates and drops
// its own database and uses its own topic prefix there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const needs = scenario.needs ?? ['postgres'];
const missing = needs.filter((n) =>
  n === 'postgres' ? !process.env.DATABASE_URL : !process.env.KAFKA_BROKERS,
);

let infraDir = null;
const stopInfra = () => {
  if (!infraDir) return;
  const dir = infraDir;
  infraDir = null;
  try {
    execFileSync('bash', [join(here, '../infra/down.sh')], {
      env: { ...process.env, FEEDWERK_INFRA_DIR: dir },
      stdio: 'inherit',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
if (missing.length > 0) {
  console.log(`starting a throwaway ${missing.join(' and ')} for the benchmark (scripts/infra)`);
  infraDir = mkdtempSync(join(tmpdir(), 'feedwerk-bench-infra-'));
  // Only what is missing is started: up.sh uses any server the environment already names.
  const env = { ...process.env, FEEDWERK_INFRA_DIR: infraDir };
  if (!needs.includes('kafka') && !env.KAFKA_BROKERS) env.KAFKA_BROKERS = 'unused:9092';
  if (!needs.includes('postgres') && !env.DATABASE_URL) env.DATABASE_URL = 'postgres://unused';
  let out;
  try {
    out = execFileSync('bash', [join(here, '../infra/up.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (error) {
    stopInfra();
    throw error;
  }
  for (const line of out.toString().trim().split('\n')) {
    const [key, ...rest] = line.split('=');
    if (missing.includes(key === 'DATABASE_URL' ? 'postgres' : key === 'KAFKA_BROKERS' ? 'kafka' : ''))
      process.env[key] = rest.join('=').replace(/^'(.*)'$/, '$1');
  }
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      stopInfra();
      process.exit(130);
    });
}
try {
  await scenario.run(args);
} finally {
  stopInfra();
}
