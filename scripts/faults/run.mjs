#!/usr/bin/env node
// The fault harness (docs/faults.md): `npm run test:faults` runs the CI subset, `-- --all` F1–F19 as far as they
// run on one machine, `-- --only F1,F9` a selection, `npm run soak` (this script with --soak) mixed load for a
// while. One cluster is started and the faults run one after the other against it; after each, the checker
// counts, and any broken count fails the run (exit 1) after the table is printed.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { ADMIN_TOKEN, Cluster, REPO, rssKiB } from './cluster.mjs';
import { CommandLoad, OpLog, TickerLoad } from './load.mjs';
import { check, lag, liveActivity, withDb } from './checker.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { values: args } = parseArgs({
  options: {
    all: { type: 'boolean', default: false },
    only: { type: 'string' },
    soak: { type: 'boolean', default: false },
    duration: { type: 'string', default: '600' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const CI = ['F1', 'F5', 'F7', 'F9', 'F10', 'F12', 'F13'];
// Timeline of one fault, in seconds from the start of its load. CI: short, so seven faults fit in the budget.
const T = args.all
  ? { fault: 6, heal: 18, stop: 26, drain: 30 }
  : { fault: 4, heal: 12, stop: 16, drain: 30 };

async function poisonRecords(brokers) {
  const kafka = new Kafka({ clientId: 'faults-poison', brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const base = (type, stream) => ({
    ce_specversion: '1.0',
    ce_id: randomUUID(),
    ce_type: type,
    ce_source: '/faults',
    ce_time: new Date().toISOString(),
    ce_subject: stream,
    ce_schemaversion: '1',
    ce_correlationid: randomUUID(),
    ce_streamposition: '1',
    ce_globalposition: '1',
    ce_actorkind: 'system',
    'content-type': 'application/json',
  });
  const stream = () => `job:${randomUUID()}`;
  const s1 = stream();
  const s2 = stream();
  const s3 = stream();
  const s4 = stream();
  const messages = [
    { key: s1, value: '{"not json', headers: base('JobPosted', s1) }, // bad JSON
    { key: s2, value: '{}', headers: base('NoSuchEvent', s2) }, // unknown type
    { key: s3, value: '{"jobId":"x"}', headers: base('JobPosted', s3) }, // schema-invalid
    { key: stream(), value: '{}', headers: base('JobPosted', s4) }, // key ≠ aggregate id
    { key: stream(), value: null, headers: {} }, // tombstone
  ];
  await producer.send({ topic: 'feedwerk.events.jobs.v1', messages });
  await producer.disconnect();
  return messages.length;
}

const TICKERS = ['ticker-1', 'ticker-2'];
const PROJECTORS = ['projector-1', 'projector-2'];
/** Slow clients in F15 (the catalog's 20), half through each node. */
const SLOW_CLIENTS = 20;

const percentile = (values, p) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** The ticker nodes' RSS in KiB (F15: memory held for clients that stopped reading). */
const tickerRss = (cluster) => Object.fromEntries(TICKERS.map((n) => [n, cluster.rss()[n]]));

async function admin(c, method, path) {
  const res = await fetch(`${c.cluster.url('admin-1')}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: method === 'POST' ? '{}' : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Starts a rebuild of the activity projection and waits until it is live; returns its last view. */
async function rebuildActivity(c, timeoutMs) {
  const started = await admin(c, 'POST', '/admin/projections/activity/rebuilds');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await admin(c, 'GET', `/admin/rebuilds/${started.id}`);
    if (view.status === 'live') return view;
    if (view.status !== 'building') throw new Error(`rebuild ${started.id} ended ${view.status}`);
    if (Date.now() > deadline) throw new Error(`rebuild ${started.id} not live within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** A generation's items and per-stream versions, as sorted keys (comparable across generations). */
async function generationContent(db, generation) {
  const suffix = generation === 1 ? '' : `_g${generation}`;
  const key = generation === 1 ? 'activity@2' : `activity@2#g${generation}`;
  const items = (
    await db.query(`SELECT id, kind, count, retracted FROM rm_activity_v2_items${suffix}`)
  ).rows.map((i) => `${i.id}/${i.kind}/${i.count}/${i.retracted}`);
  const streams = (
    await db.query(`SELECT stream_id, version FROM projection_streams WHERE projection = $1`, [key])
  ).rows.map((r) => `${r.stream_id}@${r.version}`);
  return { items: items.sort(), streams: streams.sort() };
}

const differing = (a, b) => {
  const left = new Set(a);
  const right = new Set(b);
  return a.filter((x) => !right.has(x)).length + b.filter((x) => !left.has(x)).length;
};

/**
 * The catalog. inject/heal get the context; `dlt`: records each fault parks on the DLT (per consumer group).
 * Optional `prepare` runs before the fault's clients connect, `cleanup` after its counts.
 */
const FAULTS = {
  F1: {
    title: 'kill -9 the broker, restart it 10 s later',
    inject: (c) => c.cluster.kafkaKill(),
    heal: (c) => c.cluster.kafkaRestart(),
  },
  F2: {
    title: 'kill -STOP the broker, then -CONT (gray failure)',
    inject: (c) => c.cluster.kafkaSignal('SIGSTOP'),
    heal: (c) => c.cluster.kafkaSignal('SIGCONT'),
  },
  F3: {
    title: 'proxy blackholes Kafka',
    inject: (c) => c.cluster.kafkaProxy.set('blackhole'),
    heal: (c) => c.cluster.kafkaProxy.set('pass'),
  },
  F4: {
    title: 'Kafka down for longer than the retry budgets (90 s here)',
    long: 90,
    inject: (c) => c.cluster.kafkaKill(),
    heal: (c) => c.cluster.kafkaRestart(),
  },
  F5: {
    title: 'CRASH_AT=relay.afterSend, 3 times',
    inject: (c) => {
      c.cluster.app('relay-2').hold('SIGTERM'); // one relay, so the crash point is where the batches go
      c.cluster.app('relay-1').arm({ CRASH_AT: 'relay.afterSend', CRASH_AT_COUNT: '1' }, 3);
    },
    heal: async (c) => {
      // Each crash is a restart (2–15 s on a busy machine) and a first batch.
      await c.cluster.app('relay-1').crashesDone(90_000);
      c.cluster.app('relay-2').release();
    },
    expect: (m, c) => {
      const n = c.cluster.app('relay-1').exits.filter((e) => e.crashPoint && e.t > c.t0).length;
      return n === 3 ? [] : [`relay crash point fired ${n} times, not 3`];
    },
  },
  F6: {
    title: 'kill -STOP the leading relay 15 s, then -CONT',
    inject: (c) => c.cluster.app(c.leader).kill('SIGSTOP'),
    heal: (c) => c.cluster.app(c.leader).kill('SIGCONT'),
  },
  F7: {
    title: 'CRASH_AT=projector.afterApply (before the offset commit), once (3 times with --all)',
    inject: (c) => {
      c.cluster.app('projector-2').hold('SIGTERM');
      c.cluster
        .app('projector-1')
        .arm({ CRASH_AT: 'projector.afterApply', CRASH_AT_COUNT: '1' }, c.all ? 3 : 1);
    },
    heal: async (c) => {
      // Each crash costs up to the 6 s session timeout (and a restart) before the group hands the partitions on.
      await c.cluster.app('projector-1').crashesDone(c.all ? 120_000 : 40_000);
      c.cluster.app('projector-2').release();
    },
    expect: (m, c) => {
      const n = c.cluster.app('projector-1').exits.filter((e) => e.crashPoint && e.t > c.t0).length;
      const want = c.all ? 3 : 1;
      return n === want ? [] : [`projector crash point fired ${n} times, not ${want}`];
    },
  },
  F8: {
    title: 'rebalance storm: the 2nd projector stops and starts every 5 s',
    inject: (c) => {
      const p = c.cluster.app('projector-2');
      c.storm = setInterval(() => (p.child ? p.hold('SIGTERM') : p.release()), 5_000);
    },
    heal: (c) => {
      clearInterval(c.storm);
      c.cluster.app('projector-2').release();
    },
  },
  F9: {
    title: 'poison records: bad JSON, unknown type, schema-invalid, key ≠ aggregate id, null value',
    inject: async (c) => {
      c.poisoned = await poisonRecords(c.cluster.brokers);
    },
    heal: () => undefined,
    dlt: 10, // five records, dead-lettered by each of the two groups reading the jobs topic
  },
  F10: {
    title: 'PostgreSQL crash (pg_ctl stop -m immediate), restart 10 s later',
    inject: (c) => c.cluster.pgCrash(),
    heal: (c) => c.cluster.pgStart(),
  },
  F11: {
    title: 'kill -STOP PostgreSQL',
    inject: (c) => c.cluster.pgSignal('SIGSTOP'),
    heal: (c) => c.cluster.pgSignal('SIGCONT'),
  },
  F12: {
    title: 'kill -STOP the api inside an open append transaction, -CONT at heal',
    inject: (c) => c.cluster.app('api-1').arm({ CRASH_AT: 'api.inAppendTx', CRASH_ACTION: 'stop' }, 1),
    heal: (c) => {
      const api = c.cluster.app('api-1');
      api.kill('SIGCONT');
      api.disarm();
    },
    expect: async (m, c) => (c.frozen ? [] : ['the api never froze in its append transaction']),
    during: async (c) => {
      // Proof that the freeze happened inside a transaction: PostgreSQL shows its session idle in one.
      const deadline = Date.now() + 8_000;
      while (Date.now() < deadline && !c.frozen) {
        const rows = await withDb(c.cluster.directDatabaseUrl, (db) =>
          db.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction' AND application_name = 'feedwerk-api'`,
          ),
        ).catch(() => null);
        if (rows?.rows[0].n > 0) c.frozen = true;
        else await sleep(200);
      }
    },
  },
  F13: {
    title: 'kill -9 ticker node A (its clients move to B)',
    inject: (c) => c.cluster.app('ticker-1').hold('SIGKILL'),
    heal: (c) => c.cluster.app('ticker-1').release(),
    expect: (m) =>
      m.ticker_reconnects >= m.clients / 3 ? [] : [`only ${m.ticker_reconnects} clients reconnected`],
  },
  F14: {
    title: 'proxy resets the ticker connections (2 s blip)',
    inject: async (c) => {
      for (const p of c.cluster.tickerProxies.values()) await p.set('reset');
      await sleep(2_000);
      for (const p of c.cluster.tickerProxies.values()) await p.set('pass');
    },
    heal: () => undefined,
    expect: (m) =>
      m.ticker_resyncs === 0 ? [] : [`ticker_resyncs=${m.ticker_resyncs} (resume should not need one)`],
  },
  F15: {
    title: `${SLOW_CLIENTS} ticker clients stop reading for 35 s`,
    // 35 s: long enough for TICKER_CLIENT_BUFFER (256) messages at the load's rate (about 15 s).
    long: 35,
    prepare: async (c) => {
      // The harness runs the nodes with a huge client buffer (its own clients share a busy machine); for
      // F15 they run with the default cap, which is what is under test. The ping timeout (25 + 20 s by
      // default) also drops a client that stops reading; it is set past the stall so that the cap does.
      await c.cluster.restartWith(TICKERS, {
        TICKER_CLIENT_BUFFER: '256',
        TICKER_PING_INTERVAL_MS: '60000',
        TICKER_PING_TIMEOUT_MS: '60000',
      });
      c.slow = new TickerLoad(c.cluster.tickerUrls(), SLOW_CLIENTS, { transports: ['polling'] });
      c.slow.start();
      const t = Date.now();
      while (!c.slow.ready() && Date.now() - t < 30_000) await sleep(200);
    },
    inject: (c) => {
      c.rssAtFault = tickerRss(c.cluster);
      c.slowReconnects = c.slow.clients.map((client) => client.stats.reconnects);
      for (const client of c.slow.clients) client.stopReading();
    },
    heal: (c) => {
      c.rssAtHeal = tickerRss(c.cluster);
      for (const client of c.slow.clients) client.resumeReading();
    },
    expect: async (m, c) => {
      // Dropped: told `resync {reason: 'slow-client'}` once its queue passed the cap (read when it reads
      // again), or disconnected by the node.
      const atCap = (client) => (client.resyncReasons['slow-client'] ?? 0) > 0;
      const dropped = (client, i) => atCap(client) || client.stats.reconnects > c.slowReconnects[i];
      const t = Date.now();
      while (!c.slow.clients.every(dropped) && Date.now() - t < 20_000) await sleep(200);
      // Delivery latency (event time to receipt) of the other clients: before the stall and during it.
      const window = (from, to) =>
        c.tickers.clients.flatMap((client) =>
          client.latencies.filter(([at]) => at >= from && at < to).map(([, ms]) => ms),
        );
      const before = window(c.loadStart + 1_000, c.faultAt);
      const during = window(c.faultAt, c.healAt);
      m.slow_clients = {
        stalled: c.slow.clients.length,
        dropped: c.slow.clients.filter(dropped).length,
        dropped_at_cap: c.slow.clients.filter(atCap).length,
        others_p99_ms: { before: percentile(before, 99), during: percentile(during, 99) },
        others_p50_ms: { before: percentile(before, 50), during: percentile(during, 50) },
        ticker_rss_kib: { at_fault: c.rssAtFault, at_heal: c.rssAtHeal, after: tickerRss(c.cluster) },
      };
      const failures = [];
      if (m.slow_clients.dropped_at_cap !== c.slow.clients.length)
        failures.push(
          `${c.slow.clients.length - m.slow_clients.dropped_at_cap} of ${c.slow.clients.length} slow clients were not dropped at the cap`,
        );
      return failures;
    },
    cleanup: async (c) => {
      c.slow.close();
      await c.cluster.restartWith(TICKERS, {});
    },
  },
  F16: {
    title: 'restart both ticker nodes: every client reconnects at once',
    inject: (c) => {
      c.cluster.app('ticker-1').kill('SIGKILL');
      c.cluster.app('ticker-2').kill('SIGKILL');
    },
    heal: () => undefined,
  },
  F17: {
    title: 'admin blue/green rebuild of the activity projection under load',
    prepare: async (c) => {
      // A burst window of 0 (every posting its own item) makes the fold independent of delivery order, so
      // the generation built under load can be compared item by item with a fold of the whole history.
      await c.cluster.restartWith(PROJECTORS, { TICKER_BURST_WINDOW_MS: '0' });
      await c.cluster.startApp('admin-1', 'admin', { TICKER_BURST_WINDOW_MS: '0' });
    },
    inject: async (c) => {
      c.rebuildStarted = Date.now();
      c.rebuild = rebuildActivity(c, 120_000);
      c.rebuild.catch(() => undefined);
    },
    heal: async (c) => {
      c.rebuilt = await c.rebuild;
      c.rebuildSeconds = (Date.now() - c.rebuildStarted) / 1000;
    },
    expect: async (m, c) => {
      const failures = [];
      // The reference: the same engine folding the whole history again, now that the store is quiet.
      const reference = await rebuildActivity(c, 120_000);
      await withDb(c.cluster.directDatabaseUrl, async (db) => {
        const live = await liveActivity(db);
        const built = await generationContent(db, c.rebuilt.generation);
        const full = await generationContent(db, reference.generation);
        m.rebuild = {
          generation: c.rebuilt.generation,
          seconds_to_live: c.rebuildSeconds,
          events_folded: c.rebuilt.progress?.done ?? null,
          items: built.items.length,
          items_differing_from_full_fold: differing(built.items, full.items),
          streams_differing_from_full_fold: differing(built.streams, full.streams),
          clients_resynced_once: c.tickers.clients.filter((cl) => cl.resyncReasons.rebuilt === 1).length,
        };
        if (live.generation !== reference.generation)
          failures.push(
            `live generation ${live.generation}, the reference rebuild was ${reference.generation}`,
          );
      });
      const r = m.rebuild;
      if (r.items_differing_from_full_fold !== 0 || r.streams_differing_from_full_fold !== 0)
        failures.push(
          `generation ${r.generation} differs from a fold of the whole history: ${r.items_differing_from_full_fold} items, ${r.streams_differing_from_full_fold} stream versions`,
        );
      if (r.clients_resynced_once !== c.tickers.clients.length)
        failures.push(
          `${c.tickers.clients.length - r.clients_resynced_once} clients did not resync exactly once`,
        );
      return failures;
    },
    cleanup: async (c) => {
      await c.cluster.restartWith([...PROJECTORS, 'admin-1'], {});
    },
  },
  F18: {
    title: "Kafka's log dir (a 64 MiB tmpfs) fills up; freed and the broker restarted at the heal",
    inject: async (c) => {
      c.cluster.rememberKafka();
      const { openSync, writeSync, closeSync } = await import('node:fs');
      const fd = openSync(join(c.cluster.kafkaLogDir, 'filler'), 'w');
      const chunk = Buffer.alloc(1 << 20);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        /* ENOSPC: full */
      } finally {
        closeSync(fd);
      }
    },
    heal: async (c) => {
      rmSync(join(c.cluster.kafkaLogDir, 'filler'));
      // A broker whose only log dir failed stops itself; one that is still up had nothing to write yet.
      c.brokerDied = !c.cluster.kafkaAlive();
      if (!c.cluster.kafkaAlive()) await c.cluster.kafkaRestart();
      else {
        c.cluster.kafkaKill();
        await c.cluster.kafkaRestart();
      }
    },
  },
  F19: {
    title: 'SIGTERM each process under load (one after the other)',
    inject: async (c) => {
      c.termExits = [];
      for (const name of c.cluster.apps.keys()) {
        const app = c.cluster.app(name);
        const before = app.exits.length;
        const t = Date.now();
        app.kill('SIGTERM');
        while (app.exits.length === before && Date.now() - t < 15_000) await sleep(100);
        const e = app.exits[before];
        c.termExits.push({ name, code: e?.code, s: (Date.now() - t) / 1000 });
        await app.waitReady();
      }
    },
    heal: () => undefined,
    expect: (m, c) =>
      c.termExits
        .filter((e) => e.code !== 0 || e.s > 10)
        .map((e) => `${e.name} exit ${e.code} after ${e.s} s`),
  },
};
const NOT_HERE = {};

/** Waits until every consumer is at the head; `blocking` names what caught up last, and when. */
async function waitDrained(cluster, tickers, limitMs) {
  const t0 = Date.now();
  let last;
  const blocking = {};
  while (Date.now() - t0 < limitMs) {
    last = await withDb(cluster.directDatabaseUrl, (db) => lag(db)).catch((e) => ({ error: String(e) }));
    if (!last.error) last.clients = tickers.atHead(last.head);
    for (const k of ['error', 'relay', 'activity', 'jobs', 'ticker', 'clients'])
      if (last[k]) blocking[k] = ((Date.now() - t0) / 1000).toFixed(1);
    if (
      !last.error &&
      last.relay === 0 &&
      last.activity === 0 &&
      last.jobs === 0 &&
      last.ticker === 0 &&
      last.clients === 0
    )
      return { seconds: (Date.now() - t0) / 1000, lag: last, blocking };
    await sleep(500);
  }
  return { seconds: null, lag: last, blocking };
}

async function runFault(id, ctx) {
  const fault = FAULTS[id];
  const { cluster } = ctx;
  const timeline = fault.long ? { ...T, heal: T.fault + fault.long, stop: T.fault + fault.long + 8 } : T;
  const log = new OpLog(join(ctx.dir, `ops-${id}.jsonl`));
  const c = { cluster, t0: Date.now(), all: args.all };
  if (id === 'F6') {
    // Make relay-1 the leader: hold relay-2 until relay-1 has the lock, then let it stand by again.
    cluster.app('relay-2').hold('SIGTERM');
    await sleep(3_000);
    cluster.app('relay-2').release();
    c.leader = 'relay-1';
  }
  // DLT records so far: counted by the previous check (a fresh cluster has none).
  const dltBefore = ctx.dltTotal ?? 0;
  if (fault.prepare) await fault.prepare(c);
  const tickers = new TickerLoad(cluster.tickerUrls(), ctx.clients);
  c.tickers = tickers;
  tickers.start();
  const t0 = Date.now();
  while (!tickers.ready() && Date.now() - t0 < 30_000) await sleep(200);
  const load = new CommandLoad({
    apis: cluster.urls('api-'),
    log,
    run: `${id}-${randomUUID().slice(0, 8)}`,
    ratePerSec: ctx.rate,
    retryForMs: 45_000,
  });
  // Some employers first, so every kind of command runs from the start.
  await Promise.all([0, 1, 2, 3].map(() => load.registerEmployer()));
  const start = Date.now();
  c.loadStart = start;
  load.start();
  const at = (s) => sleep(Math.max(0, start + s * 1000 - Date.now()));
  await at(timeline.fault);
  log.write({ op: 'fault', key: id, outcome: 'info', what: 'inject' });
  c.faultAt = Date.now();
  await fault.inject(c);
  if (fault.during) await fault.during(c);
  await at(timeline.heal);
  log.write({ op: 'fault', key: id, outcome: 'info', what: 'heal' });
  c.healAt = Date.now();
  await fault.heal(c);
  const healedAt = Date.now();
  await at(timeline.stop);
  await load.stop();
  // Waits past the 30 s bound (up to 60 s after the heal), so a slow recovery is measured, not just failed.
  const drained = await waitDrained(
    cluster,
    tickers,
    Math.max(timeline.drain * 1000, healedAt + 60_000 - Date.now()),
  );
  const healToLag0 = drained.seconds === null ? null : (Date.now() - healedAt) / 1000;
  const result = await withDb(cluster.directDatabaseUrl, (db) =>
    check({
      db,
      brokers: cluster.brokers,
      ops: log.entries,
      clients: tickers.clients,
      cluster,
      tag: id,
      expectDlt: fault.dlt ?? 0,
      dltBefore,
      since: c.t0,
      problemsBefore: ctx.problems,
    }),
  );
  ctx.problems = await cluster.logProblems();
  ctx.dltTotal = dltBefore + result.metrics.dlt;
  tickers.close();
  await log.close();
  const m = result.metrics;
  m.heal_to_lag0_s = healToLag0;
  m.commands = load.counts;
  m.drain_blocked_by = drained.blocking; // seconds after the load stopped at which each consumer was last behind
  // Liveness is a count: everything must reach the head. The 30 s target is timing on a shared machine, so
  // it is reported (the `≤30` column), not asserted; a consumer still behind 60 s after the heal fails.
  if (healToLag0 === null)
    result.failures.push(`not at lag 0 within 60 s of the heal (lag: ${JSON.stringify(drained.lag)})`);
  if (fault.expect) result.failures.push(...(await fault.expect(m, c)));
  if (fault.cleanup) await fault.cleanup(c);
  return { id, title: fault.title, ...result };
}

function table(results) {
  const cols = [
    ['fault', (r) => r.id],
    ['acked', (r) => r.metrics.acked],
    ['info', (r) => r.metrics.indeterminate],
    ['lost_acked', (r) => r.metrics.lost_acked],
    ['dup_store', (r) => r.metrics.dup_store],
    ['kafka_missing', (r) => r.metrics.kafka_missing],
    ['kafka_dups', (r) => r.metrics.kafka_dups],
    ['rm_missing', (r) => r.metrics.rm_missing],
    ['rm_dups', (r) => r.metrics.rm_dups],
    ['order t/p/c', (r) => Object.values(r.metrics.order_violations).join('/')],
    ['ticker_gaps', (r) => r.metrics.ticker_gaps],
    ['ticker_dups', (r) => r.metrics.ticker_dups],
    ['resyncs', (r) => r.metrics.ticker_resyncs],
    ['dlt', (r) => r.metrics.dlt],
    ['heal_to_lag0_s', (r) => r.metrics.heal_to_lag0_s?.toFixed(1) ?? '—'],
    ['≤30', (r) => (r.metrics.heal_to_lag0_s !== null && r.metrics.heal_to_lag0_s <= 30 ? 'yes' : 'no')],
    ['crashes', (r) => r.metrics.crashes],
    ['result', (r) => (r.failures.length === 0 ? 'pass' : 'FAIL')],
  ];
  const rows = results.map((r) => cols.map(([, f]) => String(f(r))));
  const head = cols.map(([h]) => h);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  const ids = args.only ? args.only.split(',') : args.all ? Object.keys(FAULTS) : CI;
  for (const id of ids)
    if (!FAULTS[id]) throw new Error(`unknown fault ${id} (${NOT_HERE[id] ?? 'not in the catalog'})`);
  const dir = join(REPO, '.faults', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const cluster = new Cluster(dir);
  const started = Date.now();
  const results = [];
  let failed = false;
  const stop = async () => {
    await cluster.stop().catch((e) => console.error(`faults: stopping the cluster: ${e}`));
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    console.error(`faults: starting PostgreSQL, Kafka and the apps (state and logs in ${dir})`);
    if (ids.includes('F18')) cluster.mountKafkaTmpfs('64m');
    await cluster.startInfra();
    await cluster.startApps();
    console.error(`faults: cluster up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const ctx = {
      cluster,
      dir,
      clients: Number(args.clients ?? (args.soak ? 1000 : 200)),
      rate: Number(args.rate ?? 20),
      problems: {},
    };
    if (args.soak) {
      results.push(await soak(ctx, Number(args.duration)));
    } else {
      const rssBefore = cluster.rss();
      for (const id of ids) {
        const t = Date.now();
        console.error(`faults: ${id} ${FAULTS[id].title}`);
        const r = await runFault(id, ctx);
        results.push(r);
        console.error(
          `faults: ${id} ${r.failures.length === 0 ? 'pass' : `FAIL: ${r.failures.join('; ')}`} (${((Date.now() - t) / 1000).toFixed(0)} s)`,
        );
      }
      const rssAfter = cluster.rss();
      results.rss = Object.fromEntries(
        Object.keys(rssBefore).map((k) => [k, { before: rssBefore[k], after: rssAfter[k] }]),
      );
    }
    failed = results.some((r) => r.failures.length > 0);
  } catch (error) {
    console.error(`faults: harness error: ${error?.stack ?? error}`);
    failed = true;
  } finally {
    await stop();
  }
  const wall = (Date.now() - started) / 1000;
  if (results.length > 0) {
    console.log(table(results));
    for (const r of results) if (r.failures.length) console.log(`${r.id}: ${r.failures.join('; ')}`);
  }
  const summary = {
    wall_s: wall,
    failed,
    rss: results.rss,
    results,
    not_run: args.all ? NOT_HERE : undefined,
  };
  writeFileSync(join(dir, 'result.json'), JSON.stringify(summary, null, 2));
  if (args.out) writeFileSync(args.out, JSON.stringify(summary, null, 2));
  console.log(
    JSON.stringify({
      wall_s: wall,
      failed,
      faults: results.map((r) => ({ id: r.id, failures: r.failures, metrics: r.metrics })),
    }),
  );
  console.error(
    `faults: ${failed ? 'FAILED' : 'passed'} in ${wall.toFixed(0)} s (details: ${dir}/result.json)`,
  );
  if (!failed && !args.keep) rmSync(dir, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

/**
 * Mixed load for `seconds` with many ticker clients, sampling every process's RSS every 10 s. A leak
 * is growth that continues under steady load: the median of the last quarter's samples against the
 * median of the second quarter's (the first quarter is warm-up: JIT, pools, caches and 1,000 sockets'
 * buffers settle there; comparing against a point inside it failed on warm-up, not on leaks). Medians,
 * because RSS saws with every garbage collection.
 */
async function soak(ctx, seconds) {
  const { cluster } = ctx;
  const log = new OpLog(join(ctx.dir, 'ops-soak.jsonl'));
  const tickers = new TickerLoad(cluster.tickerUrls(), ctx.clients);
  tickers.start();
  const t0 = Date.now();
  while (!tickers.ready() && Date.now() - t0 < 60_000) await sleep(500);
  const load = new CommandLoad({
    apis: cluster.urls('api-'),
    log,
    run: `soak-${randomUUID().slice(0, 8)}`,
    ratePerSec: ctx.rate,
    retryForMs: 45_000,
  });
  await Promise.all([0, 1, 2].map(() => load.registerEmployer()));
  load.start();
  const samples = [];
  const loadStart = Date.now();
  while (Date.now() - loadStart < seconds * 1000) {
    samples.push({ at: (Date.now() - loadStart) / 1000, rss: cluster.rss() });
    await sleep(Math.min(10_000, Math.max(0, seconds * 1000 - (Date.now() - loadStart))));
  }
  samples.push({ at: (Date.now() - loadStart) / 1000, rss: cluster.rss() });
  await load.stop();
  const drained = await waitDrained(cluster, tickers, 60_000);
  const result = await withDb(cluster.directDatabaseUrl, (db) =>
    check({
      db,
      brokers: cluster.brokers,
      ops: log.entries,
      clients: tickers.clients,
      cluster,
      tag: 'soak',
      since: t0,
      problemsBefore: {},
    }),
  );
  tickers.close();
  await log.close();
  result.metrics.heal_to_lag0_s = drained.seconds;
  const median = (values) => {
    const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
  };
  const within = (from, to) => samples.filter((s) => s.at >= from * seconds && s.at <= to * seconds);
  result.metrics.rss_kib = Object.fromEntries(
    Object.keys(samples[0].rss).map((k) => {
      const settled = median(within(0.25, 0.5).map((s) => s.rss[k]));
      const end = median(within(0.75, 1).map((s) => s.rss[k]));
      return [
        k,
        {
          first: samples[0].rss[k],
          settled,
          end,
          peak: Math.max(...samples.map((s) => s.rss[k] ?? 0)),
          growth_pct: settled && end ? Math.round(((end - settled) / settled) * 100) : null,
        },
      ];
    }),
  );
  result.metrics.rss_samples = samples;
  console.error(`faults: soak RSS (KiB) ${JSON.stringify(result.metrics.rss_kib)}`);
  for (const [k, v] of Object.entries(result.metrics.rss_kib))
    if (v.growth_pct !== null && v.growth_pct > 10) result.failures.push(`rss_growth ${k} +${v.growth_pct}%`);
  return { id: 'soak', title: `mixed load ${seconds} s, ${ctx.clients} clients`, ...result };
}

void rssKiB;
await main();
