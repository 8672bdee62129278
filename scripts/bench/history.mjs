// History benchmark (issue 19): writes N events of a portal network's realistic mix through the
// event store's append path (lib/history.mjs), lets the admin's snapshot job snapshot the activity
// model, then measures what must not grow with the history: the box at a time (p50/p99 over random
// times across the whole history, each one snapshot plus the events after it), the export (JSON
// lines of the whole history to a file: events/s and the process's RSS), and PostgreSQL's storage
// per event (table + indexes of `events`, and of the snapshots).
//
// Options: --events=N (default 1,000,000)  --boxes=N (box queries, default 200)  --every=N
// (SNAPSHOT_EVERY, default the app's)  --keep (leave the database)
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { dist, figure, freshDatabase, option, percentiles, writeResult } from './lib/common.mjs';
import { PORTALS, writeHistory } from './lib/history.mjs';

const require = createRequire(import.meta.url);

/** A small deterministic PRNG (mulberry32): the same times in every run. */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Samples the process's RSS every 100 ms while `work` runs: before, peak. */
async function rssDuring(work) {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  try {
    const result = await work();
    return { result, before, peak: Math.max(peak, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

export async function run(args) {
  const total = option(args, 'events', 1_000_000);
  const boxes = option(args, 'boxes', 200);
  require('reflect-metadata');
  const { openDatabase, loadConfig } = require(dist('libs/platform/src/index.js'));
  const { ActivityHistory, ActivitySnapshotJob } = require(dist('libs/read-models/src/index.js'));
  const { EventStore } = require(dist('libs/event-store/src/index.js'));
  const { HistoryReader } = require(dist('apps/admin/src/history/history.reader.js'));
  const { exportStream } = require(dist('apps/admin/src/history/history.export.js'));
  const pino = require('pino');
  const fresh = await freshDatabase('history');
  const config = loadConfig({ DATABASE_URL: fresh.url, LOG_LEVEL: 'silent' });
  const every = option(args, 'every', config.SNAPSHOT_EVERY);
  const database = await openDatabase(config, pino({ level: 'silent' }), 'feedwerk-bench');
  const db = database.dataSource;
  const file = join(tmpdir(), `feedwerk-history-${fresh.name}.jsonl`);
  try {
    console.log(`writing ${total} events through EventStore.appendMany into ${fresh.name} …`);
    let shown = Date.now();
    const written0 = Date.now();
    const history = await writeHistory(db, total, {
      onProgress: (n) => {
        if (Date.now() - shown < 5_000) return;
        shown = Date.now();
        console.log(`  ${n} events, ${Math.round(n / ((Date.now() - written0) / 1000))} events/s`);
      },
    });
    const writeSeconds = (Date.now() - written0) / 1000;
    console.log(
      `wrote ${history.events} events in ${writeSeconds.toFixed(1)} s (${history.from.toISOString()} … ${history.to.toISOString()})`,
    );

    const job = new ActivitySnapshotJob(db, new EventStore(db), {
      burstWindowMs: config.TICKER_BURST_WINDOW_MS,
      every,
    });
    const snapshotStarted = Date.now();
    const snapshots = await job.run();
    const snapshotSeconds = (Date.now() - snapshotStarted) / 1000;
    console.log(`snapshot job: ${snapshots} snapshots (every ${every}) in ${snapshotSeconds.toFixed(1)} s`);

    const activity = new ActivityHistory(db, new EventStore(db), {
      burstWindowMs: config.TICKER_BURST_WINDOW_MS,
    });
    const next = random(19);
    const span = history.to.getTime() - history.from.getTime();
    const latencies = [];
    const folded = [];
    for (let i = 0; i < boxes + 5; i += 1) {
      const at = new Date(history.from.getTime() + next() * span);
      const started = performance.now();
      const box = await activity.boxAt({ at, portal: PORTALS[i % PORTALS.length], limit: 8 });
      // The first five warm up the connection and the code.
      if (i >= 5) {
        latencies.push(performance.now() - started);
        folded.push(box.eventsFolded);
      }
    }
    const box = percentiles(latencies);
    const foldedStats = percentiles(folded);
    console.log(
      `box at a time: p50 ${box.p50} ms, p99 ${box.p99} ms (${box.n} times); events folded p50 ${foldedStats.p50}, p99 ${foldedStats.p99}`,
    );

    const reader = new HistoryReader(db, new EventStore(db));
    const exported = await rssDuring(async () => {
      const started = performance.now();
      await pipeline(exportStream('jsonl', reader.exportBatches({})), createWriteStream(file));
      return (performance.now() - started) / 1000;
    });
    const exportRate = history.events / exported.result;
    const mib = (bytes) => Math.round(bytes / 2 ** 20);
    console.log(
      `export (JSON lines to a file): ${Math.round(exportRate)} events/s; RSS ${mib(exported.before)} MiB before, ${mib(exported.peak)} MiB peak`,
    );

    const size = (
      await db.query(
        `SELECT pg_total_relation_size('events')::bigint AS events_bytes, (SELECT count(*) FROM events)::bigint AS n,
                pg_total_relation_size('activity_snapshot_rows')::bigint + pg_total_relation_size('projection_snapshots')::bigint
                  AS snapshot_bytes`,
      )
    )[0];
    const perEvent = Number(size.events_bytes) / Number(size.n);
    const snapshotPerEvent = Number(size.snapshot_bytes) / Number(size.n);
    console.log(
      `storage: ${perEvent.toFixed(0)} bytes per event (events + indexes), snapshots ${snapshotPerEvent.toFixed(0)} bytes per event`,
    );

    await writeResult({
      scenario: 'history',
      figures: [
        figure(`box at a time p50 at ${history.events} events`, box.p50, 'ms', { target: { max: 200 } }),
        figure(`box at a time p99 at ${history.events} events`, box.p99, 'ms', { target: { max: 1_000 } }),
        figure('events/s exported (JSON lines to a file)', exportRate, '1/s', { target: { min: 100_000 } }),
        figure('export RSS peak', mib(exported.peak), 'MiB', {}),
        figure('bytes per event in PostgreSQL (events + indexes)', perEvent, 'B', {}),
        figure('bytes per event of activity snapshots', snapshotPerEvent, 'B', {}),
        figure('events/s written through EventStore.appendMany', history.events / writeSeconds, '1/s', {}),
        figure(
          'events/s snapshotted (the snapshot job from position 0)',
          history.events / snapshotSeconds,
          '1/s',
          {},
        ),
      ],
      notes:
        `${history.events} events of the generator's mix (lib/history.mjs: jobs posted, updated, closed; sign-ups, ` +
        'refreshes, blog posts, CV uploads and erasures) written through EventStore.appendMany, 2,000 a ' +
        `transaction. Snapshots every ${every} events. Box at a time: ${box.n} random times across the history, ` +
        `8 portals in turn, limit 8; events folded after the snapshot p50 ${foldedStats.p50}, p99 ${foldedStats.p99}. ` +
        `Export RSS before ${mib(exported.before)} MiB. The 10 M point is the same run with --events=10000000; ` +
        'compare the two files for flatness.',
      extra: {
        events: history.events,
        snapshotEvery: every,
        snapshots,
        box,
        eventsFolded: foldedStats,
        export: { seconds: exported.result, rssBefore: exported.before, rssPeak: exported.peak },
        storage: { eventsBytes: Number(size.events_bytes), snapshotBytes: Number(size.snapshot_bytes) },
      },
    });
  } finally {
    await rm(file, { force: true });
    await database.close();
    if (!args.includes('--keep')) await fresh.drop();
  }
}
