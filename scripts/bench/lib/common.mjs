// Helpers the benchmark scenarios share: options, pinned child processes, fresh databases, waiting,
// and the result file in the shape docs/benchmarks.md is built from (see report.mjs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * The compiled code the scenarios run: dist/ (`npm run bench` builds it first) unless
 * FEEDWERK_BENCH_DIST names another build (the suite's test builds its own, as other e2e tests do).
 */
export const dist = (path) => join(process.env.FEEDWERK_BENCH_DIST || join(root, 'dist'), path);
/**
 * Where results and the report go: docs/ unless FEEDWERK_BENCH_DOCS names another folder (the
 * benchmark suite's own test runs every scenario small and must not overwrite the committed results).
 */
export const docsDir = () => process.env.FEEDWERK_BENCH_DOCS || join(root, 'docs');
export const require = createRequire(import.meta.url);

export const option = (args, name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const machine = () => ({
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  // Other work on the machine skews every rate: the load average when the run ended.
  load: loadavg().map((l) => Number(l.toFixed(1))),
  node: process.version,
});

/**
 * Core 0 runs the servers, core 1 the load: the load generator does not steal the server's CPU
 * (on a machine with fewer cores, or without taskset, nothing is pinned).
 */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
let tasksetChecked = null;
async function canPin() {
  if (tasksetChecked !== null) return tasksetChecked;
  tasksetChecked =
    cpus().length >= 2 &&
    (await new Promise((done) => {
      const child = spawn('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      child.on('error', () => done(false));
      child.on('exit', (code) => done(code === 0));
    }));
  if (!tasksetChecked) console.warn('taskset is not available: processes are not pinned to cores');
  return tasksetChecked;
}

/**
 * Starts `node <script> …` pinned to a core, its output kept (printed when it fails). `exited`
 * resolves with the exit code; `stop()` sends SIGTERM and waits (SIGKILL after 10 s).
 */
export async function spawnNode(core, script, args = [], env = {}, { nodeArgs = [], label = script } = {}) {
  const pinned = await canPin();
  const command = pinned ? 'taskset' : process.execPath;
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the process when it exits, as procs.mjs does for servers.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const argv = pinned
    ? ['-c', String(core), process.execPath, ...profile, ...nodeArgs, script, ...args]
    : [...profile, ...nodeArgs, script, ...args];
  const child = spawn(command, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((done) => child.on('exit', (code, signal) => done(code ?? signal)));
  return {
    child,
    label,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a node script to its end and returns its stdout parsed as JSON (the last line). */
export async function runNodeJson(core, script, args = [], env = {}) {
  const proc = await spawnNode(core, script, args, env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${script} exited ${code}:\n${proc.output().slice(-4_000)}`);
  const lines = proc.output().trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

export async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs` naming `what`. */
export async function waitFor(what, check, { timeoutMs = 60_000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits until GET url answers 200 (a started app's /health/ready), or the process exits. */
export async function waitReady(url, proc, timeoutMs = 60_000) {
  let exited = false;
  void proc?.exited.then(() => (exited = true));
  return waitFor(
    `${url} to answer 200`,
    async () => {
      if (exited)
        throw new Error(`${proc.label} exited before it was ready:\n${proc.output().slice(-4_000)}`);
      const response = await fetch(url);
      await response.arrayBuffer();
      return response.status === 200;
    },
    { timeoutMs, everyMs: 25 },
  ).catch((error) => {
    if (exited) throw new Error(`${proc.label} exited before it was ready:\n${proc.output().slice(-4_000)}`);
    throw error;
  });
}

/** Every lib's tables, as each app migrates them (compiled; the platform itself knows none of the libs). */
export function sharedSchema() {
  const { mergeSchemas, platformSchema } = require(dist('libs/platform/src/index.js'));
  return mergeSchemas([
    require(dist('libs/event-store/src/index.js')).eventStoreSchema,
    require(dist('libs/privacy/src/index.js')).privacySchema,
    require(dist('libs/read-models/src/index.js')).readModelSchema,
    platformSchema,
    require(dist('libs/transport/src/index.js')).transportSchema,
  ]);
}

/**
 * A fresh database on the DATABASE_URL server with Feedwerk's migrations applied (by the compiled
 * openDatabase, as every app runs them). `drop()` removes it again.
 */
export async function freshDatabase(label = 'bench') {
  const server = new URL(process.env.DATABASE_URL);
  const name = `fw_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  require('reflect-metadata');
  const { openDatabase, loadConfig } = require(dist('libs/platform/src/index.js'));
  const pino = require('pino');
  const database = await openDatabase(
    loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
    'feedwerk-bench',
    sharedSchema(),
  );
  await database.close();
  return {
    name,
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Latency percentiles (ms) of an array of samples. */
export function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) =>
    sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (v) => (v === null ? null : Number(v.toFixed(2)));
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    n: sorted.length,
  };
}

/**
 * A figure as docs/benchmarks.md lists it. With a ceiling: ratio = value / ceiling and the target
 * is `{ ratio, min }` (higher is better). Without one: `{ max }` (lower is better) or `{ min }`.
 */
export function figure(name, value, unit, { ceiling = null, target = {}, lowerIsBetter = false } = {}) {
  const ratio = ceiling
    ? Number((lowerIsBetter ? ceiling.value / value : value / ceiling.value).toFixed(3))
    : null;
  const checks = [];
  if (target.ratio !== undefined) checks.push(ratio !== null && ratio >= target.ratio);
  if (target.min !== undefined) checks.push(value >= target.min);
  if (target.max !== undefined) checks.push(value <= target.max);
  return {
    name,
    value: Number(value.toFixed(value >= 100 ? 0 : 2)),
    unit,
    ceiling: ceiling
      ? { name: ceiling.name, value: Number(ceiling.value.toFixed(ceiling.value >= 100 ? 0 : 2)) }
      : null,
    ratio,
    target: Object.keys(target).length ? target : null,
    met: checks.length ? checks.every(Boolean) : null,
  };
}

/** Writes docs/benchmarks/<scenario>-<date>.json and rebuilds docs/benchmarks.md and the chart. */
export async function writeResult({
  scenario,
  figures,
  series = {},
  notes = '',
  runs = undefined,
  extra = {},
}) {
  const date = new Date().toISOString();
  const result = {
    scenario,
    date,
    machine: machine(),
    figures,
    series,
    notes,
    ...(runs ? { runs } : {}),
    ...extra,
  };
  await mkdir(join(docsDir(), 'benchmarks'), { recursive: true });
  const file = join(docsDir(), 'benchmarks', `${scenario}-${date.slice(0, 10)}.json`);
  const { formatted, run: report } = await import('../report.mjs');
  await writeFile(file, await formatted(file, JSON.stringify(result, null, 2)));
  console.log(`result: ${file}`);
  for (const f of figures) {
    const target = f.target ? JSON.stringify(f.target) : '-';
    console.log(
      `  ${f.name}: ${f.value} ${f.unit}` +
        (f.ceiling ? ` (ceiling ${f.ceiling.name}: ${f.ceiling.value}, ratio ${f.ratio})` : '') +
        ` target ${target}: ${f.met === null ? '-' : f.met ? 'met' : 'MISSED'}`,
    );
  }
  await report([]);
  return result;
}

/** Median of numbers (runs of the same figure). */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Deletes a run's topics (its own prefix) from the broker again: the cluster may be shared. */
export async function deleteTopics(prefix) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'feedwerk-bench-cleanup',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    console.warn(`could not delete the topics ${prefix}*: ${error.message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
