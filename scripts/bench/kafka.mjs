// Kafka hop benchmark (issue 8): relay throughput, events/s from the store to Kafka, beside a bare
// kafkajs producer loop on the same broker with the same messages.
//
// A fresh database is seeded with N realistic events (rebuild.mjs's mix: employers, postings,
// updates, closes, refreshes, blog posts) as an unpublished outbox. The relay (its own process,
// pinned to the server core, fresh topic prefix) publishes them: the clock runs from its first
// checkpoint to the one at the last event, so start-up is not counted. Every event goes to its
// internal topic and, when public, to its public topic too. The ceiling: lib/bare-produce.mjs sends
// the very same messages (encoded by the same codecs beforehand, grouped as the relay's batches of
// RELAY_BATCH_SIZE events) to topics of the same layout under another prefix, idempotent, acks=all.
//
// Options: --events=N (default 100000)  --runs=N (default 3: an odd count, so the median is a run)
//          --batch=N (RELAY_BATCH_SIZE, default 500)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  deleteTopics,
  dist,
  figure,
  freePort,
  freshDatabase,
  median,
  option,
  require,
  runNodeJson,
  SERVER_CORE,
  spawnNode,
  waitFor,
  waitReady,
  writeResult,
} from './lib/common.mjs';
import { seed } from './rebuild.mjs';

export const needs = ['postgres', 'kafka'];
const here = new URL('.', import.meta.url).pathname;

async function relayRun(dbUrl, total, batch) {
  const prefix = `bench-${randomBytes(4).toString('hex')}.`;
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-bench-'));
  const port = await freePort();
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  await client.query(`DELETE FROM store_checkpoints WHERE name = 'relay'`);
  const relay = await spawnNode(
    SERVER_CORE,
    dist('apps/relay/src/main.js'),
    [],
    {
      DATABASE_URL: dbUrl,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      TOPIC_PREFIX: prefix,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RELAY_BATCH_SIZE: String(batch),
    },
    { label: 'relay' },
  );
  try {
    const position = async () => {
      const { rows } = await client.query(
        `SELECT global_position FROM store_checkpoints WHERE name = 'relay'`,
      );
      return rows[0]?.global_position ?? null;
    };
    const count = async (at) =>
      Number(
        (await client.query(`SELECT count(*) AS n FROM events WHERE global_position <= $1`, [at])).rows[0].n,
      );
    const first = await waitFor('the relay to publish its first batch', position, {
      timeoutMs: 120_000,
      everyMs: 10,
    });
    const started = process.hrtime.bigint();
    const last = (await client.query(`SELECT max(global_position) AS last FROM events`)).rows[0].last;
    await waitFor('the relay to publish every event', async () => (await position()) === last, {
      timeoutMs: 600_000,
      everyMs: 10,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const events = total - (await count(first));
    await waitReady(`http://127.0.0.1:${port}/health/ready`, relay);
    return { rate: events / seconds, seconds, events };
  } finally {
    await relay.stop();
    await deleteTopics(prefix);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The relay's messages for every event, grouped as its batches; written to a file for the bare producer. */
async function relayMessages(dbUrl, batch, prefix) {
  require('reflect-metadata');
  const { openDatabase, loadConfig } = require(dist('libs/platform/src/index.js'));
  const { EventStore, START, eventStoreSchema } = require(dist('libs/event-store/src/index.js'));
  const { categoryOf, isEventType, PublicTopics, Topics, toFeedEvent, toPublicRecord } = require(
    dist('libs/contracts/src/index.js'),
  );
  const { encodeEnvelope, encodePublicRecord, topicSpecs } = require(dist('libs/transport/src/index.js'));
  const pino = require('pino');
  const config = loadConfig({ DATABASE_URL: dbUrl, LOG_LEVEL: 'silent', MIGRATIONS_RUN: 'false' });
  // Migrated already: only the store's entities are needed.
  const database = await openDatabase(config, pino({ level: 'silent' }), 'feedwerk-bench', eventStoreSchema);
  const store = new EventStore(database.dataSource);
  const batches = [];
  let events = 0;
  try {
    let checkpoint = START;
    for (;;) {
      const rows = await store.readAll(checkpoint, batch);
      if (rows.length === 0) break;
      const byTopic = new Map();
      const add = (topic, m) => {
        const list = byTopic.get(topic) ?? [];
        list.push({
          key: m.key,
          value: m.value,
          headers: { ...m.headers },
          ...(m.timestamp ? { timestamp: m.timestamp } : {}),
        });
        byTopic.set(topic, list);
      };
      for (const event of rows) {
        if (!isEventType(event.type)) throw new Error(`unknown type ${event.type}`);
        add(Topics.events(categoryOf(event.type)), encodeEnvelope(event));
        const record = toPublicRecord(toFeedEvent(event));
        if (record) add(PublicTopics[record.family], encodePublicRecord(record));
      }
      batches.push({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: `${prefix}${topic}`, messages })),
      });
      events += rows.length;
      const last = rows[rows.length - 1];
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    }
  } finally {
    await database.close();
  }
  return { batches, events, specs: topicSpecs(config) };
}

async function bareRun(dbUrl, batch) {
  const { Kafka, logLevel } = require('kafkajs');
  const prefix = `bench-bare-${randomBytes(4).toString('hex')}.`;
  const { batches, events, specs } = await relayMessages(dbUrl, batch, prefix);
  const kafka = new Kafka({
    clientId: 'feedwerk-bench',
    brokers: process.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const dir = await mkdtemp(join(tmpdir(), 'feedwerk-bench-'));
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({
        topic: `${prefix}${s.topic}`,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
      })),
    });
    const file = join(dir, 'messages.json');
    await writeFile(file, JSON.stringify({ batches, events }));
    const result = await runNodeJson(SERVER_CORE, join(here, 'lib/bare-produce.mjs'), [file], {});
    return {
      rate: result.events / result.seconds,
      seconds: result.seconds,
      events: result.events,
      messages: result.messages,
    };
  } finally {
    await admin.disconnect();
    await deleteTopics(prefix);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(args) {
  const total = option(args, 'events', 100_000);
  const runs = option(args, 'runs', 3);
  const batch = option(args, 'batch', 500);
  const db = await freshDatabase('bench_kafka');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const results = [];
  try {
    console.log(`seeding ${total} events …`);
    const seeded = await seed(client, total);
    for (let i = 0; i < runs; i += 1) {
      const ceiling = await bareRun(db.url, batch);
      console.log(
        `run ${i + 1}: bare kafkajs producer ${Math.round(ceiling.rate)} events/s (${ceiling.messages} messages)`,
      );
      const ours = await relayRun(db.url, seeded, batch);
      console.log(`run ${i + 1}: relay ${Math.round(ours.rate)} events/s (${ours.events} events timed)`);
      results.push({ bare: ceiling, relay: ours, ratio: ours.rate / ceiling.rate });
    }
  } finally {
    await client.end();
    await db.drop();
  }
  const mid = median(results.map((r) => r.ratio));
  const chosen = results.reduce((a, b) => (Math.abs(b.ratio - mid) < Math.abs(a.ratio - mid) ? b : a));
  await writeResult({
    scenario: 'kafka',
    figures: [
      figure('events/s store → Kafka (relay)', chosen.relay.rate, '1/s', {
        ceiling: { name: 'bare kafkajs producer loop', value: chosen.bare.rate },
        target: { ratio: 0.8 },
      }),
    ],
    series: {
      throughput: {
        'kafka relay': results.map((r) => Math.round(r.relay.rate)),
        'kafka bare producer': results.map((r) => Math.round(r.bare.rate)),
      },
    },
    runs: results.map((r) => ({
      ratio: Number(r.ratio.toFixed(3)),
      relay: {
        eventsPerSecond: Math.round(r.relay.rate),
        events: r.relay.events,
        seconds: Number(r.relay.seconds.toFixed(2)),
      },
      bare: {
        eventsPerSecond: Math.round(r.bare.rate),
        messages: r.bare.messages,
        seconds: Number(r.bare.seconds.toFixed(2)),
      },
    })),
    extra: { events: total, relayBatchSize: batch },
    notes:
      'The relay reads a batch, validates and maps each event (internal envelope and public record), sends every ' +
      'topic of the batch in one sendBatch with the idempotent producer (acks=all, one request in flight) and saves ' +
      'its checkpoint; the next batch is read and the last checkpoint written while a batch is on its way. The bare ' +
      'loop sends the same messages, encoded beforehand, in the same batches, and does no reading, validating, ' +
      'encoding or checkpointing. Both are CPU-bound on the server core (about 90 % busy): the ratio is about the ' +
      'ratio of CPU per event, and moves with the machine from run to run (every run is listed).',
  });
}
