// Embedded benchmark (issue 8): `npm start` on one machine without servers.
//
// 1. Time to ready: node dist/apps/standalone/src/main.js on an existing data dir (started once to
//    create it and stopped), then N starts, each from spawning the process to the first 200 of
//    GET /health/ready (polled every 10 ms). Ceilings in the same job, same core: a bare Node HTTP
//    server, and the same after opening PGlite on that data dir (lib/bare-start.mjs).
// 2. The e2e scenario at lower scale, embedded: 200 socket.io subscribers of one portal, 50 commands/s
//    (POST /jobs) for --seconds; latency from sending a command to each subscriber receiving its item
//    (lib/subscribers.mjs, pinned to the load core). TICKER_BURST_WINDOW_MS=0 so that every posting is
//    its own item (with the default 60 s window postings merge into one item, updated in place).
//
// Options: --starts=N (default 5)  --subscribers=N (default 200)  --rate=N (default 50)  --seconds=N (default 20)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dist,
  figure,
  freePort,
  LOAD_CORE,
  median,
  option,
  runNodeJson,
  SERVER_CORE,
  spawnNode,
  waitReady,
  writeResult,
} from './lib/common.mjs';

export const needs = [];
const here = new URL('.', import.meta.url).pathname;
const EMBEDDED = {
  DATABASE_URL: '',
  KAFKA_BROKERS: '',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
};

/** Spawns `script`, returns ms until GET /health/ready answered 200, and the running process. */
async function timeToReady(script, args, env, label) {
  const port = await freePort();
  const started = performance.now();
  const proc = await spawnNode(SERVER_CORE, script, args, { ...env, PORT: String(port) }, { label });
  await waitReady(`http://127.0.0.1:${port}/health/ready`, proc, 120_000);
  return { ms: performance.now() - started, proc, url: `http://127.0.0.1:${port}` };
}

async function startTimes(starts) {
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-bench-embedded-'));
  const main = dist('apps/standalone/src/main.js');
  const env = { ...EMBEDDED, DATA_DIR: dataDir };
  try {
    const first = await timeToReady(main, [], env, 'standalone');
    await first.proc.stop();
    console.log(`first start (creates the data dir): ${Math.round(first.ms)} ms`);
    const samples = { feedwerk: [], http: [], pglite: [] };
    for (let i = 0; i < starts; i += 1) {
      // Interleaved, so that the neighbours' load hits all three alike.
      const http = await timeToReady(join(here, 'lib/bare-start.mjs'), ['http'], env, 'bare http');
      await http.proc.stop();
      const lite = await timeToReady(join(here, 'lib/bare-start.mjs'), ['pglite'], env, 'bare pglite');
      await lite.proc.stop();
      const ours = await timeToReady(main, [], env, 'standalone');
      const code = await ours.proc.stop();
      if (code !== 0)
        throw new Error(`standalone exited ${code} on SIGTERM:\n${ours.proc.output().slice(-2_000)}`);
      samples.http.push(http.ms);
      samples.pglite.push(lite.ms);
      samples.feedwerk.push(ours.ms);
      console.log(
        `start ${i + 1}: feedwerk ${Math.round(ours.ms)} ms, bare PGlite+HTTP ${Math.round(lite.ms)} ms, bare HTTP ${Math.round(http.ms)} ms`,
      );
    }
    return { first: first.ms, samples };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function latency({ subscribers, rate, seconds }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-bench-embedded-'));
  const env = {
    ...EMBEDDED,
    DATA_DIR: dataDir,
    TICKER_BURST_WINDOW_MS: '0',
    TICKER_MAX_CONNECTIONS_PER_IP: String(subscribers + 50),
    RATE_LIMIT_PER_IP: '10000000',
    RATE_LIMIT_PER_KEY: '10000000',
  };
  const app = await timeToReady(dist('apps/standalone/src/main.js'), [], env, 'standalone');
  try {
    const response = await fetch(`${app.url}/employers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench GmbH', website: 'https://bench.example', city: 'Berlin' }),
    });
    const employer = await response.json();
    if (response.status !== 201) throw new Error(`registering an employer: ${response.status}`);
    const job = {
      title: 'Pflegefachkraft (m/w/d)',
      description: 'Wir suchen Verstärkung für unser Team in Kreuzberg.',
      location: { city: 'Berlin', region: 'Berlin', postcode: '10997' },
      category: 'pflege',
      employmentType: 'full-time',
      portal: 'bench',
    };
    const result = await runNodeJson(LOAD_CORE, join(here, 'lib/subscribers.mjs'), [
      JSON.stringify({
        url: app.url,
        subscribers,
        rate,
        commands: rate * seconds,
        authorization: `Bearer ${employer.apiKey}`,
        job,
      }),
    ]);
    // Reported, not thrown: an overloaded machine that drops commands is a result too.
    if (result.failures > 0 || result.missing > 0)
      console.warn(
        `${result.failures} commands failed (${result.failureKinds.join('; ')}), ${result.missing} deliveries missing`,
      );
    return {
      ...result.latency,
      answer: result.answer,
      rateSent: result.rateSent,
      failures: result.failures,
      failureKinds: result.failureKinds,
      missing: result.missing,
    };
  } finally {
    await app.proc.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run(args) {
  const starts = option(args, 'starts', 5);
  const load = {
    subscribers: option(args, 'subscribers', 200),
    rate: option(args, 'rate', 50),
    seconds: option(args, 'seconds', 20),
  };
  const runs = option(args, 'runs', 2);
  const start = await startTimes(starts);
  const lat = [];
  for (let i = 0; i < runs; i += 1) {
    const l = await latency(load);
    console.log(
      `latency run ${i + 1}: ${load.subscribers} subscribers, ${l.rateSent.toFixed(1)} commands/s: item p50 ${l.p50} ms, p99 ${l.p99} ms (${l.n} deliveries); POST answer p50 ${l.answer.p50} ms, p99 ${l.answer.p99} ms`,
    );
    lat.push(l);
  }
  const chosen = lat.toSorted((a, b) => a.p99 - b.p99)[Math.floor((lat.length - 1) / 2)];
  const ready = median(start.samples.feedwerk);
  const bareLite = median(start.samples.pglite);
  const bareHttp = median(start.samples.http);
  const rounded = (xs) => xs.map((x) => Math.round(x));
  await writeResult({
    scenario: 'embedded',
    figures: [
      figure('npm start → ready (existing data dir, median)', ready, 'ms', {
        ceiling: { name: 'bare PGlite open + HTTP', value: bareLite },
        lowerIsBetter: true,
        target: { max: 3000 },
      }),
      figure('bare Node HTTP server → ready (median)', bareHttp, 'ms'),
      figure(
        `command → socket.io item p50 (${load.subscribers} subscribers, ${load.rate}/s)`,
        chosen.p50 ?? NaN,
        'ms',
      ),
      figure(
        `command → socket.io item p99 (${load.subscribers} subscribers, ${load.rate}/s)`,
        chosen.p99 ?? NaN,
        'ms',
      ),
      figure('commands failed or deliveries missing (that run)', chosen.failures + chosen.missing, 'count', {
        target: { max: 0 },
      }),
    ],
    series: {
      latency: { [`embedded: command → item (${load.subscribers} subscribers)`]: chosen },
      startMs: {
        feedwerk: rounded(start.samples.feedwerk),
        pglite: rounded(start.samples.pglite),
        http: rounded(start.samples.http),
      },
    },
    runs: lat.map((l) => ({ latency: l })),
    extra: { firstStartMs: Math.round(start.first), starts, load },
    notes:
      'Start: loading the modules (NestJS, Fastify, TypeORM, kafkajs, zod: about 2 s of CPU here) and opening PGlite ' +
      '(WASM, about 1.2 s) dominate; the contract and OpenAPI documents are now built on their first request instead ' +
      'of at start (about 0.7 s of CPU). Latency: one process does the HTTP command, the PGlite append, the in-process ' +
      'relay, the projection and the fan-out to 200 sockets on one core; the load average says how much of that core ' +
      'it had. Latency figures have no target in the brief.',
  });
}
