// Fan-out benchmark (issue 8): deliveries per second and memory per idle connection of ONE ticker node
// with 10,000 connected socket.io clients, beside a bare socket.io server (the ceiling: same options,
// same namespace, same rendered payload, same client count, socket.io's own broadcast) in the same job.
//
// Both servers run in their own process pinned to core 0; the clients are thin raw-websocket clients
// (lib/thin-client.mjs) in this process, pinned to core 1. The ticker node is the real app
// (dist/apps/ticker) on PostgreSQL and Kafka; its changes are published straight to its ticker-changes
// topic (the projector's record format, consecutive positions), so only the node's own path is measured:
// Kafka consumer → hub (order, cursors, filters, render) → 10,000 sockets.
//
// Per round and server: connect and subscribe every client, let them sit idle, take the RSS delta
// (KB per idle connection), then send bursts of changes and measure, per burst, from the first client's
// receipt to the last client's receipt of the burst's last change: deliveries/s = changes × clients / that
// time. The servers' CPU time per delivery is reported as well (steadier than wall time on a shared
// machine). Rounds alternate bare / ticker.
//
// Options: --clients=N (10000)  --burst=N changes per burst (10)  --bursts=N (8)  --singles=N single
// changes after the bursts (30)  --rounds=N (2)
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { ensureInfra } from './lib/infra.mjs';
import { LOAD_CPU, percentile, round, startProcess } from './lib/procs.mjs';
import { dist, option, require, root, sleep } from './lib/common.mjs';
import { writeResult } from './lib/result.mjs';
import { now, openClients, positionOf } from './lib/thin-client.mjs';

export const needs = ['postgres', 'kafka'];

const PORTAL = 'berlin';
// Both servers alike: the default interval, a timeout long enough that a shared, overloaded machine
// (load average above 10 while other jobs run) does not drop clients whose pong waited behind a burst.
const PING_INTERVAL_MS = 25_000;
const PING_TIMEOUT_MS = 60_000;

function changeRecord(position) {
  return {
    op: 'upsert',
    position,
    previousKind: null,
    item: {
      id: '4b8a2f5e-3c1d-4e2f-9a7b-0c1d2e3f4a5b',
      kind: 'job.posted',
      count: 1,
      portal: PORTAL,
      region: 'Berlin',
      category: 'pflege',
      order: position,
      position,
      at: '2026-11-27T09:00:00.000Z',
    },
  };
}

/** Counts deliveries per burst at the clients. */
function tracker(clients) {
  const state = {
    received: 0,
    resyncs: 0,
    target: 0,
    first: 0,
    last: 0,
    wait: null,
    perClient: new Int32Array(clients),
  };
  return {
    state,
    onEvent(text, client) {
      if (text.includes('"ticker.resync"')) {
        state.resyncs += 1;
        return;
      }
      const t = now();
      if (state.first === 0) state.first = t;
      state.received += 1;
      state.perClient[client.index] += 1;
      if (positionOf(text) === state.target) {
        state.last = t;
        state.targetSeen = (state.targetSeen ?? 0) + 1;
        if (state.targetSeen === clients && state.wait) state.wait();
      }
    },
    /** Starts a burst ending at `target`; resolves when every client has it (or after `timeoutMs`). */
    expect(target, timeoutMs = 120_000) {
      state.first = 0;
      state.last = 0;
      state.target = target;
      state.targetSeen = 0;
      state.received = 0;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          state.wait = null;
          resolve(false);
        }, timeoutMs);
        state.wait = () => {
          clearTimeout(timer);
          state.wait = null;
          resolve(true);
        };
      });
    },
  };
}

async function measure(kind, server, trigger, options) {
  const { clients, burst, bursts, singles } = options;
  await sleep(2_000);
  const before = await server.memory();
  const track = tracker(clients);
  const started = now();
  const pool = await openClients({
    url: server.url,
    namespace: '/ticker',
    count: clients,
    concurrency: 100,
    subscribe: () => ({ portal: PORTAL, lang: 'de' }),
    onEvent: track.onEvent,
  });
  const connectSeconds = (now() - started) / 1000;
  const ready = pool.clients.filter((c) => c.ready).length;
  console.log(`  ${kind}: ${ready}/${clients} clients subscribed in ${connectSeconds.toFixed(1)} s`);
  if (ready !== clients)
    throw new Error(`${kind}: only ${ready} of ${clients} clients subscribed (${pool.failed} failed)`);
  // Idle: pings only; let allocation settle before reading the RSS.
  await sleep(5_000);
  const idle = await server.memory();
  const perConnectionKB = (idle.rss - before.rss) / clients / 1000;
  const heapPerConnectionKB =
    (idle.heapUsed + idle.external - before.heapUsed - before.external) / clients / 1000;
  console.log(
    `  ${kind}: RSS ${Math.round(before.rss / 2 ** 20)} → ${Math.round(idle.rss / 2 ** 20)} MiB idle (after GC): ` +
      `${perConnectionKB.toFixed(1)} KB per connection (heap + external ${heapPerConnectionKB.toFixed(1)} KB)`,
  );

  // One warm-up burst (JIT, buffers), not counted.
  let position = 0;
  const runBurst = async (size = burst) => {
    const from = position + 1;
    position += size;
    const done = track.expect(position);
    const cpuBefore = server.cpuMs();
    const sent = now();
    await trigger(from, size);
    const ok = await done;
    const cpu = server.cpuMs() - cpuBefore;
    const s = track.state;
    if (!ok) {
      const counts = new Map();
      for (const n of s.perClient) counts.set(n, (counts.get(n) ?? 0) + 1);
      throw new Error(
        `${kind}: burst ${from}..${position} did not reach every client (${s.targetSeen}/${clients}, ` +
          `resyncs ${s.resyncs}, open ${pool.open}, changes per client ${JSON.stringify([...counts])})`,
      );
    }
    return {
      ms: s.last - s.first,
      sentToLast: s.last - sent,
      cpuMs: cpu,
      deliveries: size * clients,
      received: s.received,
    };
  };
  await runBurst();
  const results = [];
  for (let b = 0; b < bursts; b += 1) {
    results.push(await runBurst());
    await sleep(300);
  }
  // Single changes, one at a time: every delivery is a websocket write of its own (what a steady
  // trickle of changes costs, as in the end-to-end scenario), with nothing to batch.
  const single = [];
  for (let b = 0; b < singles; b += 1) {
    single.push(await runBurst(1));
    await sleep(20);
  }
  const singleCpuMicros = round(
    (single.reduce((a, r) => a + r.cpuMs, 0) * 1000) / single.reduce((a, r) => a + r.deliveries, 0),
    2,
  );
  const deliveries = results.reduce((a, r) => a + r.deliveries, 0);
  const ms = results.reduce((a, r) => a + r.ms, 0);
  const cpuMs = results.reduce((a, r) => a + r.cpuMs, 0);
  const rates = results.map((r) => (r.deliveries / r.ms) * 1000).sort((a, b) => a - b);
  const missing = [...track.state.perClient].filter((n) => n !== position).length;
  const outcome = {
    kind,
    clients,
    connectSeconds: round(connectSeconds),
    rssBeforeMiB: round(before.rss / 2 ** 20),
    rssIdleMiB: round(idle.rss / 2 ** 20),
    perConnectionKB: round(perConnectionKB),
    heapPerConnectionKB: round(heapPerConnectionKB),
    deliveriesPerSecond: Math.round((deliveries / ms) * 1000),
    burstRates: {
      min: Math.round(rates[0]),
      median: Math.round(percentile(rates, 50)),
      max: Math.round(rates.at(-1)),
    },
    cpuMicrosPerDelivery: round((cpuMs * 1000) / deliveries, 2),
    singleChangeCpuMicrosPerDelivery: singleCpuMicros,
    sentToLastMs: round(
      percentile(
        results.map((r) => r.sentToLast).sort((a, b) => a - b),
        50,
      ),
    ),
    resyncs: track.state.resyncs,
    clientsMissingChanges: missing,
  };
  console.log(
    `  ${kind}: ${outcome.deliveriesPerSecond} deliveries/s (bursts ${outcome.burstRates.min}…${outcome.burstRates.max}), ` +
      `${outcome.cpuMicrosPerDelivery} µs CPU per delivery (${singleCpuMicros} µs one change at a time), ` +
      `resyncs ${outcome.resyncs}, clients missing changes ${missing}`,
  );
  await pool.close();
  return outcome;
}

export async function run(args) {
  const options = {
    clients: option(args, 'clients', 10_000),
    burst: option(args, 'burst', 10),
    bursts: option(args, 'bursts', 8),
    singles: option(args, 'singles', 30),
  };
  const rounds = option(args, 'rounds', 2);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7);
  // The load (this process) on the other core than the servers.
  spawnSync('taskset', ['-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const infra = ensureInfra(needs);
  require('reflect-metadata');
  const { renderChange, Topics } = require(dist('libs/contracts/src/index.js'));
  const { encodeTickerChange } = require(dist('libs/transport/src/index.js'));
  const { Kafka, logLevel } = require('kafkajs');
  const template = renderChange(changeRecord(1), 'upsert', 'de');

  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  const runs = { bare: [], ticker: [] };
  const kafka = new Kafka({
    clientId: 'bench-fanout',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    for (let r = 1; r <= rounds; r += 1) {
      console.log(`round ${r}/${rounds}`);
      if (!only || only === 'bare') {
        const bare = await startProcess(
          'bare socket.io',
          [
            join(root, 'scripts/bench/lib/bare-socketio.mjs'),
            JSON.stringify(template),
            String(PING_INTERVAL_MS),
            String(PING_TIMEOUT_MS),
          ],
          {
            probe: true,
          },
        );
        try {
          runs.bare.push(
            await measure('bare socket.io', bare, async (_from, n) => bare.send(`burst ${n}`), options),
          );
        } finally {
          await bare.stop();
        }
      }
      if (only === 'bare') continue;

      // A fresh database and topic namespace per round: the node starts from an empty feed.
      const name = `fw_bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(process.env.DATABASE_URL);
      url.pathname = `/${name}`;
      const prefix = `bench-${randomBytes(3).toString('hex')}.`;
      const node = 'bench-1';
      const topic = `${prefix}${Topics.tickerChanges}`;
      // The node's group starts at offset 0 of its topic, so no change is published before it listens.
      await kafkaAdmin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      });
      await kafkaAdmin.setOffsets({
        groupId: `${prefix}ticker.${node}`,
        topic,
        partitions: [{ partition: 0, offset: '0' }],
      });
      const ticker = await startProcess('ticker', [dist('apps/ticker/src/main.js')], {
        probe: true,
        env: {
          DATABASE_URL: url.toString(),
          KAFKA_BROKERS: process.env.KAFKA_BROKERS,
          TOPIC_PREFIX: prefix,
          TICKER_NODE_ID: node,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          TICKER_MAX_CONNECTIONS_PER_IP: String(options.clients * 2),
          TICKER_PING_INTERVAL_MS: String(PING_INTERVAL_MS),
          TICKER_PING_TIMEOUT_MS: String(PING_TIMEOUT_MS),
        },
      });
      try {
        const publish = async (from, n) => {
          const messages = [];
          for (let p = from; p < from + n; p += 1) {
            const m = encodeTickerChange(changeRecord(p), 1);
            messages.push({ key: m.key, value: m.value, headers: m.headers });
          }
          await producer.send({ topic, acks: -1, messages });
        };
        runs.ticker.push(await measure('ticker', ticker, publish, options));
      } finally {
        await ticker.stop();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      }
    }
  } finally {
    await producer.disconnect();
    await kafkaAdmin.disconnect();
    await admin.end();
    infra.stop();
  }

  const best = (list, key) => Math.max(...list.map((x) => x[key]));
  const median = (list, key) =>
    percentile(
      list.map((x) => x[key]).sort((a, b) => a - b),
      50,
    );
  const tickerRate = median(runs.ticker, 'deliveriesPerSecond');
  const bareRate = median(runs.bare, 'deliveriesPerSecond');
  const ratio = tickerRate / bareRate;
  const kb = Math.max(...runs.ticker.map((x) => x.perConnectionKB));
  const connected = Math.min(...runs.ticker.map((x) => x.clients));
  const figures = [
    {
      name: `deliveries/s, ${options.clients.toLocaleString('en')} clients, one ticker node`,
      value: tickerRate,
      unit: '1/s',
      ceiling: { name: 'bare socket.io broadcast', value: bareRate },
      ratio: round(ratio, 2),
      target: { ratio: 0.8 },
      met: ratio >= 0.8,
    },
    {
      name: 'clients on one ticker node',
      value: connected,
      unit: 'connections',
      ceiling: null,
      target: { min: 10_000 },
      met: connected >= 10_000 && runs.ticker.every((x) => x.clientsMissingChanges === 0 && x.resyncs === 0),
    },
    {
      name: 'memory per idle connection (ticker RSS delta)',
      value: kb,
      unit: 'KB',
      ceiling: null,
      target: { max: 22 },
      met: kb <= 22,
    },
    {
      name: 'CPU per delivery (ticker)',
      value: median(runs.ticker, 'cpuMicrosPerDelivery'),
      unit: 'µs',
      ceiling: { name: 'bare socket.io broadcast', value: median(runs.bare, 'cpuMicrosPerDelivery') },
      ratio: round(
        median(runs.bare, 'cpuMicrosPerDelivery') / median(runs.ticker, 'cpuMicrosPerDelivery'),
        2,
      ),
      // Informative: a steadier view of the same ratio than wall time on a shared machine.
      target: {},
      met: null,
    },
    {
      name: 'CPU per delivery, one change at a time (ticker)',
      value: median(runs.ticker, 'singleChangeCpuMicrosPerDelivery'),
      unit: 'µs',
      ceiling: {
        name: 'bare socket.io broadcast',
        value: median(runs.bare, 'singleChangeCpuMicrosPerDelivery'),
      },
      ratio: round(
        median(runs.bare, 'singleChangeCpuMicrosPerDelivery') /
          median(runs.ticker, 'singleChangeCpuMicrosPerDelivery'),
        2,
      ),
      // Informative: what one websocket write per delivery costs (the end-to-end scenario's limit).
      target: {},
      met: null,
    },
  ];
  console.log(
    `ticker ${tickerRate} deliveries/s vs bare socket.io ${bareRate}: ratio ${ratio.toFixed(2)} (target ≥ 0.8)`,
  );
  console.log(
    `memory per idle connection: ticker ${kb} KB (target ≤ 22), bare ${best(runs.bare, 'perConnectionKB')} KB`,
  );
  await writeResult('fanout', {
    figures,
    series: {
      runs: [...runs.bare, ...runs.ticker],
    },
    parameters: options,
    notes:
      `Rounds: ${rounds} (bare and ticker alternate; medians reported). Deliveries/s counts from the first ` +
      "client's receipt to the last client's receipt of a burst's last change, so Kafka's hop before the " +
      'node is not in it. After the bursts, single changes one at a time: each delivery is then a websocket ' +
      'write of its own, and its CPU cost (kernel and all) is what a steady trickle of changes costs a node. ' +
      'The clients (one process, raw websockets) share core 1 with nothing else of ours; ' +
      'the machine is shared with other jobs (see machine.load).',
  });
}
