// Ingest benchmark (issue 8): commands/s through HTTP → event store → Kafka, beside a bare Fastify
// handler doing the same insert with pg.
//
// Feedwerk: the api and the relay, each its own process pinned to the server core, on a fresh
// database and a fresh topic prefix. Employers are registered first; the load generator (autocannon,
// keep-alive connections, pinned to the other core) POSTs /jobs with their API keys in turn. The
// clock runs from the first request until the relay has published the last event to Kafka (its
// checkpoint reached the newest event); then the job topic's offsets are checked to hold every job.
// The ceiling: lib/bare-ingest.mjs (parse + one INSERT into the same `events` table on the same
// PostgreSQL, its own fresh database), same load, same pinning, in the same job.
// Per command, every server process also reports its CPU time and its pg queries (round trips)
// during the measured load (lib/query-probe.mjs): on a shared machine CPU per command compares
// versions better than rates do.
//
// Options: --commands=N (per run, default 20000)  --connections=N (default 50)  --runs=N (default 2)
//          --employers=N (default 20)  --profile=1 (writes CPU profiles of api and relay to .bench-profiles/)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  deleteTopics,
  dist,
  figure,
  freePort,
  freshDatabase,
  LOAD_CORE,
  machine,
  median,
  option,
  require,
  root,
  runNodeJson,
  SERVER_CORE,
  spawnNode,
  waitFor,
  waitReady,
  writeResult,
} from './lib/common.mjs';

export const needs = ['postgres', 'kafka'];

const here = new URL('.', import.meta.url).pathname;
const JOB = {
  title: 'Pflegefachkraft (m/w/d) Intensivstation',
  description:
    'Wir suchen Verstärkung für unser Team in Kreuzberg. Sie erwartet ein unbefristeter Vertrag, faire Bezahlung, ' +
    'flexible Arbeitszeiten und ein freundliches Kollegium.',
  location: { city: 'Berlin', region: 'Berlin', postcode: '10997' },
  category: 'pflege',
  employmentType: 'full-time',
  portal: 'berlin',
  remote: false,
};

const PROBE = ['--import', join(here, 'lib/query-probe.mjs')];

/** The probed process's pg queries so far and its CPU time (lib/query-probe.mjs writes them on SIGUSR2). */
async function probe(proc, file) {
  const asked = Date.now();
  proc.child.kill('SIGUSR2');
  return waitFor(
    `${proc.label} to write its probe`,
    async () => {
      const taken = JSON.parse(await readFile(file, 'utf8'));
      return taken.at >= asked ? taken : null;
    },
    { timeoutMs: 30_000, everyMs: 10 },
  );
}

/** Per command between two probes: pg queries (round trips) and CPU milliseconds. */
const perCommand = (before, after, commands) => ({
  queries: Number(((after.queries - before.queries) / commands).toFixed(2)),
  cpuMs: Number(((after.cpuMicros - before.cpuMicros) / 1000 / commands).toFixed(3)),
});

const load = (url, commands, connections, authorizations) =>
  runNodeJson(LOAD_CORE, join(here, 'lib/load.mjs'), [
    JSON.stringify({ url, amount: commands, connections, body: JOB, authorizations }),
  ]);

function checkLoad(what, result, commands) {
  if (result.ok !== commands)
    throw new Error(
      `${what}: ${result.ok} of ${commands} requests answered 2xx (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`,
    );
}

async function bare(commands, connections) {
  const db = await freshDatabase('bench_bare');
  const port = await freePort();
  const probeDir = await mkdtemp(join(tmpdir(), 'feedwerk-probe-'));
  const probeFile = join(probeDir, 'bare.json');
  const server = await spawnNode(
    SERVER_CORE,
    join(here, 'lib/bare-ingest.mjs'),
    [],
    { DATABASE_URL: db.url, PORT: String(port), BENCH_PROBE_FILE: probeFile },
    { label: 'bare', nodeArgs: PROBE },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitReady(`${url}/health/ready`, server);
    checkLoad('bare warm-up', await load(`${url}/jobs`, 2_000, connections, []), 2_000);
    const before = await probe(server, probeFile);
    const result = await load(`${url}/jobs`, commands, connections, []);
    const after = await probe(server, probeFile);
    checkLoad('bare', result, commands);
    const seconds = (result.ended - result.started) / 1000;
    return {
      rate: commands / seconds,
      seconds,
      latency: result.latency,
      server: perCommand(before, after, commands),
    };
  } finally {
    await server.stop();
    await db.drop();
    await rm(probeDir, { recursive: true, force: true });
  }
}

async function feedwerk(commands, connections, employers, profile) {
  require('reflect-metadata');
  const { Topics } = require(dist('libs/contracts/src/index.js'));
  const { Kafka, logLevel } = require('kafkajs');
  const db = await freshDatabase('bench_ingest');
  const prefix = `bench-${randomBytes(4).toString('hex')}.`;
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-bench-'));
  const [apiPort, relayPort] = [await freePort(), await freePort()];
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    TOPIC_PREFIX: prefix,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP: '10000000',
    RATE_LIMIT_PER_KEY: '10000000',
  };
  const nodeArgs = [
    ...PROBE,
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(root, '.bench-profiles')}`] : []),
  ];
  const [apiProbe, relayProbe] = [join(dataDir, 'api-probe.json'), join(dataDir, 'relay-probe.json')];
  const api = await spawnNode(
    SERVER_CORE,
    dist('apps/api/src/main.js'),
    [],
    { ...common, PORT: String(apiPort), BENCH_PROBE_FILE: apiProbe },
    { label: 'api', nodeArgs },
  );
  const relay = await spawnNode(
    SERVER_CORE,
    dist('apps/relay/src/main.js'),
    [],
    { ...common, PORT: String(relayPort), BENCH_PROBE_FILE: relayProbe },
    { label: 'relay', nodeArgs },
  );
  const client = new pg.Client({ connectionString: db.url });
  const kafka = new Kafka({
    clientId: 'feedwerk-bench',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitReady(`${apiUrl}/health/ready`, api);
    await waitReady(`http://127.0.0.1:${relayPort}/health/ready`, relay);
    await client.connect();
    await admin.connect();
    const authorizations = [];
    for (let i = 0; i < employers; i += 1) {
      const response = await fetch(`${apiUrl}/employers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Bench GmbH ${i}`,
          website: `https://bench${i}.example`,
          city: 'Berlin',
        }),
      });
      const body = await response.json();
      if (response.status !== 201)
        throw new Error(`registering an employer: ${response.status} ${JSON.stringify(body)}`);
      authorizations.push(`Bearer ${body.apiKey}`);
    }
    const relayed = async () => {
      const { rows } = await client.query(
        `SELECT (SELECT global_position FROM store_checkpoints WHERE name = 'relay') AS at,
                (SELECT max(global_position) FROM events) AS last`,
      );
      return rows[0].at !== null && rows[0].at === rows[0].last;
    };
    const warmup = 2_000;
    checkLoad('feedwerk warm-up', await load(`${apiUrl}/jobs`, warmup, connections, authorizations), warmup);
    await waitFor('the relay to publish the warm-up', relayed, { timeoutMs: 120_000 });

    // The relay's progress is polled from here (not pinned: a query every 20 ms costs little).
    const [apiBefore, relayBefore] = [await probe(api, apiProbe), await probe(relay, relayProbe)];
    const result = await load(`${apiUrl}/jobs`, commands, connections, authorizations);
    checkLoad('feedwerk', result, commands);
    await waitFor('the relay to publish every event', relayed, { timeoutMs: 300_000, everyMs: 20 });
    const published = Date.now();
    const [apiAfter, relayAfter] = [await probe(api, apiProbe), await probe(relay, relayProbe)];
    const seconds = (published - result.started) / 1000;
    const offsets = await admin.fetchTopicOffsets(`${prefix}${Topics.events('jobs')}`);
    const onKafka = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    if (onKafka !== warmup + commands)
      throw new Error(`the job topic holds ${onKafka} records, expected ${warmup + commands}`);
    return {
      rate: commands / seconds,
      seconds,
      httpRate: commands / ((result.ended - result.started) / 1000),
      relayLagSeconds: (published - result.ended) / 1000,
      latency: result.latency,
      api: perCommand(apiBefore, apiAfter, commands),
      relay: perCommand(relayBefore, relayAfter, commands),
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await deleteTopics(prefix);
    await client.end().catch(() => undefined);
    await api.stop();
    await relay.stop();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run(args) {
  const commands = option(args, 'commands', 20_000);
  const connections = option(args, 'connections', 50);
  const runs = option(args, 'runs', 2);
  const employers = option(args, 'employers', 20);
  const results = [];
  for (let i = 0; i < runs; i += 1) {
    // Ceiling right before ours in each run: both see the same neighbours on the machine.
    const ceiling = await bare(commands, connections);
    console.log(
      `run ${i + 1}: bare fastify+pg ${Math.round(ceiling.rate)} commands/s (p99 ${ceiling.latency.p99} ms; ` +
        `per command ${ceiling.server.cpuMs} ms CPU, ${ceiling.server.queries} queries)`,
    );
    const ours = await feedwerk(commands, connections, employers, option(args, 'profile', 0) === 1);
    console.log(
      `run ${i + 1}: feedwerk ${Math.round(ours.rate)} commands/s to Kafka (HTTP ${Math.round(ours.httpRate)}/s, ` +
        `relay done ${ours.relayLagSeconds.toFixed(2)} s after the last answer; p99 ${ours.latency.p99} ms; ` +
        `per command: api ${ours.api.cpuMs} ms CPU, ${ours.api.queries} queries; relay ${ours.relay.cpuMs} ms CPU, ` +
        `${ours.relay.queries} queries; load ${machine().load.join(' / ')})`,
    );
    results.push({ bare: ceiling, feedwerk: ours, ratio: ours.rate / ceiling.rate });
  }
  // The run with the median ratio stands for the scenario; every run is kept in the file.
  const ratios = results.map((r) => r.ratio);
  const chosen =
    results.find((r) => r.ratio === median(ratios)) ??
    results.toSorted((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)];
  const ceiling = { name: 'bare fastify+pg insert', value: chosen.bare.rate };
  await writeResult({
    scenario: 'ingest',
    figures: [
      figure('commands/s HTTP → PostgreSQL → Kafka', chosen.feedwerk.rate, '1/s', {
        ceiling,
        target: { ratio: 0.6, min: 3000 },
      }),
      figure('commands/s HTTP → PostgreSQL (answers)', chosen.feedwerk.httpRate, '1/s', { ceiling }),
      figure('POST /jobs p99 under load', chosen.feedwerk.latency.p99, 'ms', {
        ceiling: { name: 'bare p99', value: chosen.bare.latency.p99 },
        lowerIsBetter: true,
      }),
    ],
    series: {
      latency: {
        'ingest: POST /jobs (feedwerk)': chosen.feedwerk.latency,
        'ingest: POST /jobs (bare)': chosen.bare.latency,
      },
      throughput: {
        'ingest feedwerk (to Kafka)': results.map((r) => Math.round(r.feedwerk.rate)),
        'ingest bare fastify+pg': results.map((r) => Math.round(r.bare.rate)),
      },
    },
    runs: results.map((r) => ({
      ratio: Number(r.ratio.toFixed(3)),
      feedwerk: {
        commandsPerSecond: Math.round(r.feedwerk.rate),
        httpPerSecond: Math.round(r.feedwerk.httpRate),
        relayLagSeconds: Number(r.feedwerk.relayLagSeconds.toFixed(2)),
        latency: r.feedwerk.latency,
        perCommand: { api: r.feedwerk.api, relay: r.feedwerk.relay },
      },
      bare: {
        commandsPerSecond: Math.round(r.bare.rate),
        latency: r.bare.latency,
        perCommand: r.bare.server,
      },
    })),
    extra: { commandsPerRun: commands, connections, employers },
    notes:
      'Limited by CPU on the server core that the api, the relay and PostgreSQL share with other work (per command in ' +
      'runs[].feedwerk.perCommand): a posting costs the api about 0.35-0.45 ms of CPU in its HTTP shell (Fastify routing ' +
      "and body parsing, Nest's router and guards, the per-key rate limit, the request logger's context, zod, the " +
      'group-commit insert) and the relay about 0.2 ms (two Kafka records: the internal and the public topic); the bare ' +
      'handler spends about 0.15 ms. PostgreSQL round trips per posting: about 0.15 (API keys are trusted from memory ' +
      'for 5 s; concurrent postings share one transaction by group commit), the bare handler 1. Made cheaper for this ' +
      'benchmark: the rate-limit storage, no version read for new streams, NOTIFY in the insert, group commit, the API-key ' +
      "cache, command metrics without Nest's interceptor pipeline, security headers built once, the request logger " +
      'bound without the headers. What the targets need: 0.6 of the bare rate and 3,000/s both mean at most about ' +
      '0.33-0.42 ms of the server core per command for api, relay and PostgreSQL together, against about 0.65 ms now; ' +
      "the relay's share is mostly kafkajs encoding two records with their CloudEvents headers, the api's is spread " +
      'over the framework shell (CPU profiles: npm run bench -- ingest --profile=1).',
  });
}
