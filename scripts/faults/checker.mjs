// The checker: counts, from the op log, the store, a dump of the topics (kafkajs, from the beginning), the read
// models and the ticker clients' records, whether anything acknowledged was lost, doubled or reordered.
// Model: Kafka's validate_delivery (acked ⊆ consumed, dups counted) plus set equality, no-dups and order checks.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const pg = require('pg');

const EVENT_TOPIC = /^feedwerk\.events\.[a-z]+\.v1$/;
export const DLT = 'feedwerk.dlt.v1';

export async function withDb(url, fn) {
  const client = new pg.Client({ connectionString: url, statement_timeout: 30_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every record of the event topics and the DLT, read from the beginning up to the current end offsets. */
export async function dumpTopics(brokers, tag) {
  const kafka = new Kafka({ clientId: 'faults-checker', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => EVENT_TOPIC.test(t) || t === DLT);
  const ends = new Map();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
  }
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, high]) => high > 0).map(([k]) => k));
  const records = [];
  if (pending.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `faults-dump-${tag}-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const k = `${topic}/${partition}`;
      const headers = {};
      for (const [name, value] of Object.entries(message.headers ?? {}))
        headers[name] = value?.toString('utf8');
      records.push({
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString('utf8') ?? null,
        headers,
      });
      if (Number(message.offset) + 1 >= ends.get(k)) {
        pending.delete(k);
        if (pending.size === 0) done();
      }
    },
  });
  const timeout = new Promise((r) => setTimeout(() => r('timeout'), 60_000));
  const result = await Promise.race([finished, timeout]);
  await consumer.disconnect();
  if (result === 'timeout') throw new Error(`topic dump did not reach the end of ${[...pending].join(', ')}`);
  return records;
}

/**
 * The activity projection's live generation: its checkpoint key and tables (generation 1 is what the
 * migrations made; a blue/green rebuild, F17, switches to `_g<N>` tables and the key `activity@2#g<N>`).
 */
export async function liveActivity(db) {
  const row = (await db.query(`SELECT generation FROM projection_live WHERE projection = 'activity'`))
    .rows[0];
  const generation = row?.generation ?? 1;
  const suffix = generation === 1 ? '' : `_g${generation}`;
  return {
    generation,
    key: generation === 1 ? 'activity@2' : `activity@2#g${generation}`,
    changes: `rm_activity_v2_changes${suffix}`,
    items: `rm_activity_v2_items${suffix}`,
  };
}

/** Whether every consumer caught up: relay, both projections, the ticker feed's publisher. */
export async function lag(db) {
  const q = async (sql, params) => (await db.query(sql, params)).rows[0];
  const live = await liveActivity(db);
  const relay = await q(`
    SELECT count(*)::int AS n FROM events e, store_checkpoints c
     WHERE c.name = 'relay' AND (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)`);
  const noCheckpoint = await q(`SELECT count(*)::int AS n FROM store_checkpoints WHERE name = 'relay'`);
  const activity = await q(
    `
    SELECT count(*)::int AS n FROM (SELECT stream_id, max(stream_position) AS v FROM events GROUP BY stream_id) s
      LEFT JOIN projection_streams p ON p.projection = $1 AND p.stream_id = s.stream_id
     WHERE coalesce(p.version, 0) < s.v`,
    [live.key],
  );
  const jobs = await q(`
    SELECT count(*)::int AS n FROM (SELECT stream_id, max(stream_position) AS v FROM events
                                     WHERE stream_id LIKE 'job:%' OR stream_id LIKE 'employer:%' GROUP BY stream_id) s
      LEFT JOIN rm_jobs_v1 j ON s.stream_id = 'job:' || j.job_id
      LEFT JOIN rm_employers_v1 m ON s.stream_id = 'employer:' || m.employer_id
     WHERE coalesce(j.version, m.version, 0) < s.v`);
  const feed = await q(
    `SELECT feed_position::int AS head, published_position::int AS published
       FROM projection_state WHERE projection = $1`,
    [live.key],
  );
  return {
    relay: noCheckpoint.n === 0 ? -1 : relay.n,
    activity: activity.n,
    jobs: jobs.n,
    ticker: feed.head - feed.published,
    head: feed.head,
  };
}

const inc = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/**
 * Counts. `ops`: this phase's op log; `clients`: its ticker clients; `cluster`: exits and logs.
 * Returns { metrics, failures }: failures lists every metric that broke its bound.
 */
export async function check({
  db,
  brokers,
  ops,
  clients,
  cluster,
  tag,
  expectDlt = 0,
  dltBefore = 0,
  since = 0,
  problemsBefore = {},
}) {
  const m = {};
  // --- the store, by marker (every command's payload carries its op key)
  const rows = (
    await db.query(`
      SELECT event_id, stream_id, stream_position, type, global_position,
             coalesce(data->>'title', data->'changes'->>'title', data->>'name') AS text
        FROM events`)
  ).rows;
  const byMarker = new Map();
  for (const row of rows) {
    const marker = /(?:Stelle|Neu|Firma) (\S+)$/.exec(row.text ?? '')?.[1];
    if (marker) inc(byMarker, marker);
  }
  const relevant = ops.filter((o) => o.marker);
  m.acked = relevant.filter((o) => o.outcome === 'ok').length;
  m.indeterminate = relevant.filter((o) => o.outcome === 'info').length;
  m.lost_acked = relevant.filter((o) => o.outcome === 'ok' && !byMarker.get(o.marker)).length;
  m.dup_store = [...byMarker.values()].filter((n) => n > 1).length;
  m.fail_stored = relevant.filter((o) => o.outcome === 'fail' && byMarker.get(o.marker)).length;

  // --- the topics
  const records = await dumpTopics(brokers, tag);
  const seen = new Map();
  const orderTopic = { violations: 0 };
  const maxVersion = new Map();
  const storeIds = new Set(rows.map((r) => r.event_id));
  // Partition by partition in offset order (a stream's key keeps it on one partition); injected poison is not counted.
  const eventRecords = records.filter((x) => EVENT_TOPIC.test(x.topic) && storeIds.has(x.headers.ce_id));
  eventRecords.sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset,
  );
  for (const r of eventRecords) {
    const id = r.headers.ce_id;
    const first = !seen.has(id);
    inc(seen, id);
    if (!first) continue;
    const stream = r.headers.ce_subject;
    const version = Number(r.headers.ce_streamposition);
    if (version <= (maxVersion.get(stream) ?? 0)) orderTopic.violations += 1;
    maxVersion.set(stream, Math.max(version, maxVersion.get(stream) ?? 0));
  }
  m.store_events = rows.length;
  m.kafka_missing = rows.filter((r) => !seen.has(r.event_id)).length;
  m.kafka_dups = [...seen.values()].reduce((s, n) => s + n - 1, 0);
  m.dlt = records.filter((r) => r.topic === DLT).length - dltBefore;

  // --- the read models
  const l = await lag(db);
  m.rm_missing = l.activity + l.jobs;
  const live = await liveActivity(db);
  const changes = (
    await db.query(`
      SELECT c.position::int AS position, c.event_id, e.stream_id, e.stream_position
        FROM ${live.changes} c JOIN events e ON e.event_id = c.event_id ORDER BY c.position`)
  ).rows;
  const spans = new Map();
  const streamMax = new Map();
  const firstSeen = new Set();
  let orderProjector = 0;
  for (const c of changes) {
    const s = spans.get(c.event_id) ?? { min: c.position, max: c.position, n: 0 };
    s.min = Math.min(s.min, c.position);
    s.max = Math.max(s.max, c.position);
    s.n += 1;
    spans.set(c.event_id, s);
    if (firstSeen.has(c.event_id)) continue;
    firstSeen.add(c.event_id);
    if (c.stream_position <= (streamMax.get(c.stream_id) ?? 0)) orderProjector += 1;
    streamMax.set(c.stream_id, c.stream_position);
  }
  // One event's changes are written in one transaction, so they sit side by side in the feed; an event
  // applied twice shows up as a second run of positions further on.
  const activityDups = [...spans.values()].filter((s) => s.max - s.min + 1 !== s.n).length;
  const ahead = (
    await db.query(
      `
      SELECT count(*)::int AS n FROM (SELECT stream_id, max(stream_position) AS v FROM events GROUP BY stream_id) s
        JOIN projection_streams p ON p.projection = $1 AND p.stream_id = s.stream_id WHERE p.version > s.v`,
      [live.key],
    )
  ).rows[0].n;
  m.rm_dups = activityDups + ahead;

  // --- the ticker clients
  m.clients = clients.length;
  m.ticker_gaps = clients.reduce((s, c) => s + c.stats.gaps, 0);
  m.ticker_dups = clients.reduce((s, c) => s + c.stats.dups, 0);
  m.clients_behind_head = clients.filter((c) => c.last !== l.head).length;
  m.ticker_resyncs = clients.reduce((s, c) => s + c.stats.resyncs, 0);
  m.ticker_reconnects = clients.reduce((s, c) => s + c.stats.reconnects, 0);
  m.order_violations = {
    topic: orderTopic.violations,
    projector: orderProjector,
    clients: m.ticker_dups, // a position not above the client's last one is both out of order and a duplicate
  };

  // --- the processes
  const unplanned = [];
  for (const [name, app] of cluster.apps)
    for (const e of app.exits)
      if (!e.planned && e.t >= since) unplanned.push(`${name}:${e.signal ?? e.code}`);
  const problems = {};
  for (const [k, n] of Object.entries(await cluster.logProblems()))
    if (n > (problemsBefore[k] ?? 0)) problems[k] = n - (problemsBefore[k] ?? 0);
  m.crashes = unplanned.length + Object.values(problems).reduce((s, n) => s + n, 0);
  m.crash_detail = [...unplanned, ...Object.entries(problems).map(([k, n]) => `${k}: ${n} in log`)];

  const failures = [];
  const zero = [
    'lost_acked',
    'dup_store',
    'fail_stored',
    'kafka_missing',
    'rm_missing',
    'rm_dups',
    'ticker_gaps',
    'ticker_dups',
    'clients_behind_head',
    'crashes',
  ];
  for (const k of zero) if (m[k] !== 0) failures.push(`${k}=${m[k]}`);
  for (const [k, v] of Object.entries(m.order_violations))
    if (v !== 0) failures.push(`order_violations.${k}=${v}`);
  if (m.dlt !== expectDlt) failures.push(`dlt=${m.dlt} (expected ${expectDlt})`);
  return { metrics: m, failures };
}
