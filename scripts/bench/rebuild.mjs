// Rebuild benchmark (issue 5, "Speed"): seeds N realistic events (default 1,000,000) into a fresh
// database with set-based SQL, rebuilds the activity projection with the real RebuildEngine (the
// same code the admin app runs), then runs two bare SQL folds of the same events, and prints the rates.
// Node's CPU time and the PostgreSQL server processes' CPU time (/proc, the server is local) are
// recorded per phase: on the shared machine the wall-clock rates say little on their own.
//
// The bare fold is one INSERT … SELECT … GROUP BY over the same events table (every row the rebuild
// reads; nothing pre-aggregated, no index-only shortcut): per portal and box kind, the count the
// box's items add up to (postings by source, closes, updates, refreshed jobs from
// JobsRefreshed.portals, blog posts; employer sign-ups site-wide). It runs inside PostgreSQL on one
// backend, reads every event's type and the few JSON fields it needs, and writes 45 rows; it does no
// commit-order sort, no transfer to a client, no decoding/upcasting, no aggregation windows,
// retractions per item, members, per-stream versions or checkpoints — the ceiling of "reading and
// counting" the same events, not a second implementation of the fold.
//
// The equivalent fold (`equivalentFold`) builds the same items table the engine builds, in plain SQL
// inside PostgreSQL: every event's feed positions (a running sum in commit order), the postings'
// bursts (a recursive walk per portal: a posting joins the portal's open item when it is within the
// window of the item's first posting), counts less the closes of their members, retracted when all
// closed, and one item per update, refresh portal, blog post and sign-up. The bench then checks that
// its items equal the engine's (count and a hash of every column). It relies on what the domain
// guarantees and these events have: a job is posted once and closed at most once, after its posting;
// no item is closed down to zero inside its own window (a posting would then start a new item); no
// CV uploads or erasures, refreshes of one portal each (further items' ids are SHA-1 names). It
// writes the items only (no change log, members, slots, versions, indexes), so it stays a ceiling.
//
// Options: --events=N  --batch=N (events per read)  --checkpoint=N (events per checkpoint)  --keep

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dist, figure, option, sharedSchema, writeResult } from './lib/common.mjs';
import { transferRead, transferWhole } from './lib/transfer.mjs';

// The 16 states as the contract defines them (dist/ is CommonJS; `npm run bench` builds first).
const { REGIONS } = createRequire(import.meta.url)(dist('libs/contracts/src/index.js'));
const PORTALS = ['berlin', 'hamburg', 'muenchen', 'koeln', 'frankfurt', 'stuttgart', 'leipzig', 'dresden'];
const CATEGORIES = ['pflege', 'it', 'handwerk', 'logistik', 'vertrieb', 'gastronomie'];

/**
 * The mix, per job j (1..J): JobPosted (v1), then j % 3 JobUpdated, then JobClosed for every third
 * job: job streams of 1 to 4 events. Employers (E) register first; each refreshes twice (its first
 * jobs, on their portals); a blog post every 60 jobs. Postings are 2 s apart (event time), so on
 * each of the 8 portals bursts of a few postings form within the 60 s window. J is chosen so the
 * total is N.
 */
function plan(total) {
  const employers = Math.max(1, Math.round(total / 50));
  const refreshes = employers * 2;
  // per job: 1 + (0+1+2)/3 updates + 1/3 close = 2.333…; a blog post per 60 jobs
  const jobs = Math.floor((total - employers - refreshes) / (7 / 3 + 1 / 60));
  return { employers, refreshes, jobs };
}

export async function seed(client, total) {
  const { employers, jobs } = plan(total);
  await client.query(`
    CREATE FUNCTION pg_temp.bench_uuid(t text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
      SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3) || '8' || substr(h, 18, 15))::uuid FROM md5(t) h $$`);
  const meta = JSON.stringify({
    correlationId: 'bench',
    causationId: null,
    actor: { kind: 'system', id: null },
    source: '/feedwerk/bench',
  });
  const description =
    'Wir suchen Verstärkung für unser Team. Sie erwartet ein unbefristeter Vertrag, faire Bezahlung, ' +
    'flexible Arbeitszeiten und ein freundliches Kollegium. Bewerben Sie sich noch heute bei uns!';
  // Rows (stream, t, type, data); versions follow t within each stream; inserted in t order.
  await client.query(
    `CREATE TEMP TABLE seed_events AS
     WITH job AS (
       SELECT j, pg_temp.bench_uuid('job' || j) AS job_id, pg_temp.bench_uuid('employer' || (j % $2)) AS employer_id,
              ($4::text[])[1 + j % 8] AS portal, ($5::text[])[1 + (j * 7) % 16] AS region,
              ($6::text[])[1 + (j * 5) % 6] AS category
         FROM generate_series(1, $1) AS j
     )
     SELECT 'employer:' || pg_temp.bench_uuid('employer' || e) AS stream_id, (e - $2)::float8 AS t,
            'EmployerRegistered' AS type,
            jsonb_build_object('employerId', pg_temp.bench_uuid('employer' || e), 'name', 'Bench GmbH ' || e,
              'website', 'https://bench' || e || '.example', 'city', 'Berlin') AS data
       FROM generate_series(0, $2 - 1) AS e
     UNION ALL
     SELECT 'job:' || job_id, j * 2, 'JobPosted',
            jsonb_build_object('jobId', job_id, 'employerId', employer_id, 'title', 'Fachkraft ' || category || ' ' || j,
              'description', $3::text, 'location', jsonb_build_object('city', 'Musterstadt', 'region', region,
              'postcode', lpad((10000 + j % 89999)::text, 5, '0')), 'category', category, 'employmentType', 'full-time',
              'portal', portal, 'source', CASE WHEN j % 10 = 0 THEN 'import' ELSE 'direct' END, 'salary', NULL,
              'remote', j % 4 = 0)
       FROM job
     UNION ALL
     SELECT 'job:' || job_id, j * 2 + u * 601, 'JobUpdated',
            jsonb_build_object('jobId', job_id, 'employerId', employer_id, 'portal', portal, 'region', region,
              'category', category, 'changes', jsonb_build_object('title', 'Fachkraft ' || category || ' ' || j || ' v' || u))
       FROM job, generate_series(1, 2) AS u WHERE u <= j % 3
     UNION ALL
     SELECT 'job:' || job_id, j * 2 + 1900, 'JobClosed',
            jsonb_build_object('jobId', job_id, 'employerId', employer_id, 'portal', portal, 'reason', 'filled')
       FROM job WHERE j % 3 = 0
     UNION ALL
     SELECT 'content:' || pg_temp.bench_uuid('post' || p), p * 120 + 1, 'BlogPostPublished',
            jsonb_build_object('postId', pg_temp.bench_uuid('post' || p), 'slug', 'post-' || p, 'title', 'Karrieretipp ' || p,
              'teaser', 'Wie Sie Ihre Bewerbung verbessern.', 'author', 'Redaktion', 'portal', ($4::text[])[1 + p % 8])
       FROM generate_series(1, $1 / 60) AS p`,
    [jobs, employers, description, PORTALS, REGIONS, CATEGORIES],
  );
  // Refreshes: employer e (registered first) refreshes its first jobs (j ≡ e mod E) twice; each job's
  // posting (t = 2j) comes before the refresh (t = 2j + 1 + r * 1000).
  await client.query(
    `INSERT INTO seed_events
     SELECT 'employer:' || pg_temp.bench_uuid('employer' || e), 2 * (e + $2) + 1 + r * 1000, 'JobsRefreshed',
            jsonb_build_object('refreshId', pg_temp.bench_uuid('refresh' || e || '/' || r),
              'employerId', pg_temp.bench_uuid('employer' || e),
              'jobIds', jsonb_build_array(pg_temp.bench_uuid('job' || (e + $2))),
              'count', 1, 'portals', jsonb_build_array(jsonb_build_object('portal', ($3::text[])[1 + (e + $2) % 8], 'count', 1)))
       FROM generate_series(0, $2 - 1) AS e, generate_series(0, 1) AS r
      WHERE e + $2 <= $1`,
    [jobs, employers, PORTALS],
  );
  const counted = await client.query(`SELECT count(*)::int AS n FROM seed_events`);
  // One transaction: commit order = global position = event time order.
  await client.query(
    `INSERT INTO events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
     SELECT gen_random_uuid(), stream_id, row_number() OVER (PARTITION BY stream_id ORDER BY t), type,
            CASE WHEN type = 'JobPosted' THEN 2 ELSE 1 END, data, $1::jsonb,
            timestamptz '2026-01-01T00:00:00Z' + t * interval '1 second'
       FROM seed_events ORDER BY t, stream_id`,
    [meta],
  );
  await client.query(`DROP TABLE seed_events`);
  await client.query(`VACUUM ANALYZE events`);
  return counted.rows[0].n;
}

/** CPU seconds of these processes (utime + stime from /proc; 0 for one that is gone). */
function cpuOf(pids) {
  const ticks = 100; // USER_HZ on Linux
  const result = new Map();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      result.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      result.set(pid, 0);
    }
  }
  return result;
}

/**
 * CPU meter for the PostgreSQL server (its backends and background processes, listed by
 * pg_stat_activity) and this Node process: `start()`, then `stop()` answers seconds of each, and
 * the seconds Node's event loop sat idle.
 */
function cpuMeter(client) {
  const serverPids = async () =>
    (await client.query(`SELECT pid FROM pg_stat_activity`)).rows.map((r) => r.pid);
  let before = new Map();
  let node = process.cpuUsage();
  let loop = performance.eventLoopUtilization();
  return {
    async start() {
      before = cpuOf(await serverPids());
      node = process.cpuUsage();
      loop = performance.eventLoopUtilization();
    },
    async stop() {
      const used = process.cpuUsage(node);
      // Time the main thread waited with nothing to run (for PostgreSQL, mostly): what overlap can win.
      const { idle } = performance.eventLoopUtilization(loop);
      const after = cpuOf(await serverPids());
      let postgres = 0;
      for (const [pid, seconds] of after) postgres += seconds - (before.get(pid) ?? 0);
      return {
        node: Number(((used.user + used.system) / 1e6).toFixed(1)),
        postgres: Number(postgres.toFixed(1)),
        nodeIdle: Number((idle / 1e3).toFixed(1)),
      };
    },
  };
}

async function bareFold(client) {
  await client.query(`CREATE TABLE bench_bare_counts (portal text, kind text, count bigint)`);
  const started = process.hrtime.bigint();
  await client.query(`
    INSERT INTO bench_bare_counts (portal, kind, count)
    SELECT portal, kind, sum(delta)
      FROM (
        SELECT CASE WHEN e.type = 'JobsRefreshed' THEN p.value->>'portal' ELSE e.data->>'portal' END AS portal,
               CASE e.type
                 WHEN 'JobPosted' THEN 'job.' || (e.data->>'source')
                 WHEN 'JobClosed' THEN 'job.closed'
                 WHEN 'JobUpdated' THEN 'job.updated'
                 WHEN 'JobsRefreshed' THEN 'jobs.refreshed'
                 WHEN 'BlogPostPublished' THEN 'blog.published'
                 WHEN 'EmployerRegistered' THEN 'employer.registered'
                 ELSE e.type END AS kind,
               CASE WHEN e.type = 'JobsRefreshed' THEN (p.value->>'count')::bigint ELSE 1 END AS delta
          FROM events e
          LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN e.type = 'JobsRefreshed' THEN e.data->'portals' END) p
            ON true
      ) folded
     GROUP BY portal, kind`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rows = await client.query(`SELECT count(*)::int AS n FROM bench_bare_counts`);
  return { seconds, groups: rows.rows[0].n };
}

/** A content hash of an items table: every column of every row, in id order. */
const itemsDigest = (table) => `
  SELECT count(*)::int AS n,
         md5(string_agg(concat_ws('|', id, kind, portal, region, category, count, item_order, position,
                                  extract(epoch FROM at), extract(epoch FROM started_at), retracted),
                        E'\n' ORDER BY id)) AS hash
    FROM ${table}`;

/**
 * The equivalent fold (see the header): the engine's items table from the same events, in plain SQL
 * on a fresh session (temp_buffers can only be set before its first temporary table). Timed from the
 * first statement to the commit; the table is created (empty, like the engine's) before.
 */
async function equivalentFold(url, engineItems, windowMs) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET temp_buffers = '512MB'`);
    await client.query(`SET work_mem = '256MB'`);
    await client.query(`CREATE TABLE bench_bare_items (LIKE ${engineItems} INCLUDING DEFAULTS)`);
    const meter = cpuMeter(client);
    await meter.start();
    const started = process.hrtime.bigint();
    await client.query('BEGIN');
    // Each event's last feed position: a running sum of the changes it makes, in commit order.
    await client.query(`
      CREATE TEMP TABLE ev ON COMMIT DROP AS
      SELECT event_id, type, occurred_at AS t,
             sum(CASE type WHEN 'JobsRefreshed' THEN jsonb_array_length(data->'portals')
                           WHEN 'AdminActionRecorded' THEN 0 ELSE 1 END)
               OVER (ORDER BY transaction_id, global_position) AS pos,
             CASE WHEN type IN ('JobPosted', 'JobClosed') THEN data->>'jobId' END AS job_id,
             CASE WHEN type IN ('JobPosted', 'JobUpdated', 'BlogPostPublished') THEN data->>'portal' END AS portal,
             CASE type WHEN 'JobPosted' THEN data->'location'->>'region' WHEN 'JobUpdated' THEN data->>'region' END
               AS region,
             CASE WHEN type IN ('JobPosted', 'JobUpdated') THEN data->>'category' END AS category,
             CASE type WHEN 'JobPosted' THEN data->>'source' END AS source,
             CASE type WHEN 'JobsRefreshed' THEN data->'portals' END AS portals
        FROM events`);
    // Each portal's postings numbered in commit order, for the walk.
    await client.query(`
      CREATE TEMP TABLE posted ON COMMIT DROP AS
      SELECT portal, row_number() OVER (PARTITION BY portal ORDER BY pos) AS rn, event_id, t, pos, job_id,
             region, category, source
        FROM ev WHERE type = 'JobPosted'`);
    await client.query(`CREATE INDEX ON posted (portal, rn) INCLUDE (t, event_id)`);
    // Temporary tables have no statistics: without them the walk's join may not use the index.
    await client.query(`ANALYZE posted`);
    // The bursts: every portal's postings in order; the item is the first posting's (its id) as long
    // as a posting is within the window of the item's first one.
    await client.query(
      `CREATE TEMP TABLE walk ON COMMIT DROP AS
       WITH RECURSIVE w(portal, i, started, item, t, pos, job_id, region, category, source) AS (
         SELECT portal, rn, t, event_id, t, pos, job_id, region, category, source FROM posted WHERE rn = 1
         UNION ALL
         SELECT w.portal, p.rn,
                CASE WHEN abs(extract(epoch FROM p.t - w.started)) * 1000 < ${windowMs} THEN w.started ELSE p.t END,
                CASE WHEN abs(extract(epoch FROM p.t - w.started)) * 1000 < ${windowMs} THEN w.item ELSE p.event_id END,
                p.t, p.pos, p.job_id, p.region, p.category, p.source
           FROM w JOIN posted p ON p.portal = w.portal AND p.rn = w.i + 1
       )
       SELECT * FROM w`,
    );
    const columns = `id, kind, portal, region, category, count, item_order, position, at, started_at, retracted`;
    await client.query(`
      INSERT INTO bench_bare_items (${columns})
      SELECT p.item,
             CASE WHEN count(*) > 1 THEN 'jobs.burst' WHEN min(p.source) = 'import' THEN 'job.imported'
                  ELSE 'job.posted' END,
             p.portal,
             CASE WHEN min(p.region) = max(p.region) THEN min(p.region) END,
             CASE WHEN min(p.category) = max(p.category) THEN min(p.category) END,
             greatest(count(*) - count(c.pos), 1),
             min(p.pos), greatest(max(p.pos), max(c.pos)), max(p.t), min(p.started), count(c.pos) = count(*)
        FROM walk p
        LEFT JOIN ev c ON c.type = 'JobClosed' AND c.job_id = p.job_id
       GROUP BY p.item, p.portal`);
    await client.query(`
      INSERT INTO bench_bare_items (${columns})
      SELECT event_id,
             CASE type WHEN 'JobUpdated' THEN 'job.updated' WHEN 'BlogPostPublished' THEN 'blog.published'
                       ELSE 'employer.registered' END,
             portal, region, category, 1, pos, pos, t, t, false
        FROM ev WHERE type IN ('JobUpdated', 'BlogPostPublished', 'EmployerRegistered')
      UNION ALL
      SELECT CASE WHEN p.ordinality = 1 THEN e.event_id END, 'jobs.refreshed', p.value->>'portal', NULL, NULL,
             (p.value->>'count')::int, e.pos - jsonb_array_length(e.portals) + p.ordinality,
             e.pos - jsonb_array_length(e.portals) + p.ordinality, e.t, e.t, false
        FROM ev e, jsonb_array_elements(e.portals) WITH ORDINALITY p
       WHERE e.type = 'JobsRefreshed'`);
    await client.query('COMMIT');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = await meter.stop();
    const bare = (await client.query(itemsDigest('bench_bare_items'))).rows[0];
    const engine = (await client.query(itemsDigest(engineItems))).rows[0];
    return { seconds, cpu, bare, engine, equal: bare.n === engine.n && bare.hash === engine.hash };
  } finally {
    await client.end();
  }
}

/**
 * The process that runs the rebuild gets the admin app's young generation (docker/compose.yml:
 * `--max-semi-space-size=64`): this scenario runs the engine in-process, so it runs itself again
 * in a child with the flag when it was started without it.
 */
async function inChildWithFlags(args) {
  const { spawn } = await import('node:child_process');
  const runner = resolve(dirname(fileURLToPath(import.meta.url)), 'run.mjs');
  const child = spawn(process.execPath, [...SEMI_SPACE, runner, 'rebuild', ...args], { stdio: 'inherit' });
  const code = await new Promise((done) => child.on('exit', (c) => done(c ?? 1)));
  if (code !== 0) throw new Error(`the rebuild benchmark exited with ${code}`);
}
const SEMI_SPACE = ['--max-semi-space-size=64'];

export async function run(args) {
  if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return inChildWithFlags(args);
  const total = option(args, 'events', 1_000_000);
  const batchSize = option(args, 'batch', 10_000);
  const checkpointEvery = option(args, 'checkpoint', 200_000);
  const keep = args.includes('--keep');
  // dist/ is CommonJS (swc): require it.
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const { openDatabase, loadConfig } = require(dist('libs/platform/src/index.js'));
  const { EventStore } = require(dist('libs/event-store/src/index.js'));
  const {
    RebuildEngine,
    activityTables,
    readModelProjections,
    DEFAULT_BURST_WINDOW_MS,
    ACTIVITY_READ_COLUMNS,
  } = require(dist('libs/read-models/src/index.js'));
  const pino = require('pino');

  const server = new URL(process.env.DATABASE_URL);
  const name = `fw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  const database = await openDatabase(
    loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
    'feedwerk-bench',
    sharedSchema(),
  );
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    console.log(`seeding ${total} events into ${name} …`);
    const seedStarted = Date.now();
    const seeded = await seed(client, total);
    console.log(`seeded ${seeded} events in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    const store = new EventStore(database.dataSource);
    const engine = new RebuildEngine(
      database.dataSource,
      store,
      readModelProjections(database.dataSource, store),
      {
        batchSize,
        checkpointEvery,
      },
    );
    const rebuild = await engine.request('activity', randomUUID(), 'bench');
    let last = Date.now();
    const meter = cpuMeter(client);
    await meter.start();
    const started = process.hrtime.bigint();
    const outcome = await engine.run(rebuild.id, async () => {
      if (Date.now() - last < 2_000) return;
      last = Date.now();
      const view = await engine.find(rebuild.id);
      process.stdout.write(
        `  rebuild: ${view.done}/${seeded} events, ${Math.round(view.eventsPerSecond)} events/s\n`,
      );
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rebuildCpu = await meter.stop();
    if (outcome !== 'live') throw new Error(`the rebuild ended ${outcome}`);
    const done = (await engine.find(rebuild.id)).done;
    const t = activityTables(rebuild.generation);
    const size = await client.query(
      `SELECT (SELECT count(*) FROM ${t.changes})::int AS changes, (SELECT count(*) FROM ${t.items})::int AS items,
              (SELECT feed_position FROM projection_state WHERE projection = $1)::int AS head`,
      [t.name],
    );
    const rebuildRate = done / seconds;
    console.log(
      `rebuild (RebuildEngine, activity, batch ${batchSize}): ${done} events in ${seconds.toFixed(1)} s = ${Math.round(rebuildRate)} events/s`,
    );
    console.log(
      `  → feed head ${size.rows[0].head} (changes of the full fold), ${size.rows[0].changes} retained, ${size.rows[0].items} items`,
    );
    console.log(
      `  CPU: Node ${rebuildCpu.node} s, PostgreSQL ${rebuildCpu.postgres} s; Node's main thread idle (waiting) ${rebuildCpu.nodeIdle} s`,
    );

    const bareMeter = cpuMeter(client);
    await bareMeter.start();
    const bare = await bareFold(client);
    const bareCpu = await bareMeter.stop();
    const bareRate = seeded / bare.seconds;
    console.log(
      `bare SQL fold (INSERT … SELECT … GROUP BY): ${seeded} events in ${bare.seconds.toFixed(1)} s = ${Math.round(bareRate)} events/s (${bare.groups} groups)`,
    );
    const equivalent = await equivalentFold(url.toString(), t.items, DEFAULT_BURST_WINDOW_MS);
    const equivalentRate = seeded / equivalent.seconds;
    console.log(
      `equivalent SQL fold (the same items): ${seeded} events in ${equivalent.seconds.toFixed(1)} s = ${Math.round(equivalentRate)} events/s; CPU: PostgreSQL ${equivalent.cpu.postgres} s`,
    );
    console.log(
      `  cross-check: engine ${equivalent.engine.n} items (${equivalent.engine.hash}), SQL ${equivalent.bare.n} items (${equivalent.bare.hash}): ${equivalent.equal ? 'equal' : 'DIFFERENT'}`,
    );
    if (!equivalent.equal) throw new Error('the equivalent SQL fold and the engine built different items');
    // How fast the events alone leave the server for a client, folded by nobody: no engine that folds
    // outside PostgreSQL can beat it, and the in-database folds never pay it.
    const copied = async (label, copy) => {
      const meter = cpuMeter(client);
      await meter.start();
      const result = await copy();
      const cpu = await meter.stop();
      const rate = result.rows / result.seconds;
      console.log(
        `transfer only, ${label} (COPY … TO STDOUT in commit order, dropped): ${result.rows} rows, ` +
          `${Math.round(result.bytes / 2 ** 20)} MiB in ${result.seconds.toFixed(1)} s = ${Math.round(rate)} events/s ` +
          `(${(rate / bareRate).toFixed(3)} of the counts fold); CPU: PostgreSQL ${cpu.postgres} s`,
      );
      if (result.rows !== seeded)
        throw new Error(`the transfer read ${result.rows} rows, ${seeded} were seeded`);
      return { ...result, rate, cpu };
    };
    const whole = await copied('every event whole', () => transferWhole(client));
    const read = await copied('what the engine reads of each', () =>
      transferRead(client, ACTIVITY_READ_COLUMNS),
    );
    // The faster of the two is the ceiling an engine outside the database faces.
    const transferRate = Math.max(whole.rate, read.rate);
    const ratio = rebuildRate / bareRate;
    console.log(
      `ratio rebuild / bare = ${ratio.toFixed(3)}, rebuild / equivalent = ${(rebuildRate / equivalentRate).toFixed(3)} (target ≥ 0.5); rebuild target ≥ 50000 events/s: ${rebuildRate >= 50_000 ? 'met' : 'missed'}`,
    );

    // The shared shape (see report.mjs), with this scenario's own details kept beside it.
    await writeResult({
      scenario: 'rebuild',
      figures: [
        figure('events/s rebuilt (activity projection)', rebuildRate, '1/s', {
          ceiling: { name: 'bare SQL fold (counts, 45 rows)', value: bareRate },
          target: { ratio: 0.5, min: 50_000 },
        }),
        figure('events/s rebuilt vs the same items in SQL', rebuildRate, '1/s', {
          ceiling: { name: 'equivalent SQL fold (same items, checked equal)', value: equivalentRate },
          target: { ratio: 0.5, min: 50_000 },
        }),
        // Context for the first figure's ratio: the events alone, copied out and dropped, against the counts
        // fold (no target of its own).
        figure('events/s copied out of PostgreSQL, nothing folded', transferRate, '1/s', {
          ceiling: { name: 'bare SQL fold (counts, 45 rows)', value: bareRate },
          target: {},
        }),
      ],
      series: {
        throughput: {
          'rebuild (RebuildEngine)': [Math.round(rebuildRate)],
          'rebuild bare SQL fold': [Math.round(bareRate)],
          'rebuild equivalent SQL fold': [Math.round(equivalentRate)],
          'transfer only (COPY out)': [Math.round(transferRate)],
        },
      },
      notes:
        'The bare fold is one INSERT … SELECT … GROUP BY inside PostgreSQL (no transfer to a client, no decoding, ' +
        'no per-item retractions or checkpoints): the ceiling of reading and counting the same events. The ' +
        'equivalent fold builds the same items table in plain SQL (bursts by a recursive walk per portal; checked ' +
        'equal to the engine by count and content hash) and writes nothing else: the ceiling for the same output. ' +
        'The transfer figure copies the events out of the server in commit order (COPY … TO STDOUT, the cheapest ' +
        'way out; the faster of every event whole and only what the engine reads of each) and drops them: what ' +
        'any fold outside PostgreSQL pays before it folds anything' +
        (transferRate < bareRate / 2
          ? `. It ran at ${(transferRate / bareRate).toFixed(2)} of the counts fold's rate: half that rate is out ` +
            'of reach for any engine that folds in Node, whatever it does with the events.'
          : `; it ran at ${(transferRate / bareRate).toFixed(2)} of the counts fold's rate.`),
      extra: {
        postgres: (await client.query('SHOW server_version')).rows[0].server_version,
        events: seeded,
        batchSize,
        checkpointEvery,
        rebuild: {
          seconds,
          eventsPerSecond: Math.round(rebuildRate),
          feedHead: size.rows[0].head,
          changesRetained: size.rows[0].changes,
          items: size.rows[0].items,
          cpu: rebuildCpu,
        },
        transfer: Object.fromEntries(
          Object.entries({ whole, read }).map(([k, v]) => [
            k,
            { seconds: v.seconds, eventsPerSecond: Math.round(v.rate), bytes: v.bytes, cpu: v.cpu },
          ]),
        ),
        bare: {
          seconds: bare.seconds,
          eventsPerSecond: Math.round(bareRate),
          groups: bare.groups,
          cpu: bareCpu,
        },
        equivalent: {
          seconds: equivalent.seconds,
          eventsPerSecond: Math.round(equivalentRate),
          cpu: equivalent.cpu,
          items: equivalent.bare.n,
          hash: equivalent.bare.hash,
          equalToEngine: equivalent.equal,
        },
      },
    });
  } finally {
    await client.end();
    await database.close();
    if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
