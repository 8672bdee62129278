import { Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { DeadLetterOffice } from '@feedwerk/platform';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import {
  appendJobPosted,
  kafkaBrokers,
  openTestDatabase,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import {
  encodeEnvelope,
  type IncomingMessage,
  type MessageTransport,
  type OutgoingMessage,
  type Subscription,
} from '@feedwerk/transport';
import { Kafka, logLevel } from 'kafkajs';
import { ActivityProjector } from './activity.projector';
import { TickerItemPublisher } from './ticker-item.publisher';

describe('activity projector on Kafka: poison records go to the dead-letter topic, the partition flows on', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projector: ActivityProjector;
  const transport = testKafkaTransport('projector-test');
  const prefix = transport.topicPrefix;
  const dead: IncomingMessage[] = [];
  let dlt: Subscription;

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    await transport.ensureTopics(
      [
        ...['jobs', 'employers', 'candidates', 'content', 'admin'].map((c) => `feedwerk.events.${c}.v1`),
        Topics.deadLetter,
      ].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })),
    );
    const feed = new ActivityFeed(db.dataSource);
    projector = new ActivityProjector(
      new ActivityProjection(db.dataSource, store),
      new TickerItemPublisher(feed, transport),
      transport,
      new DeadLetterOffice(transport, db.dataSource),
    );
    await projector.onModuleInit();
    dlt = await transport.subscribe({
      groupId: uniqueName('dlt-reader-'),
      topics: [Topics.deadLetter],
      fromBeginning: true,
      handle: async (batch) => {
        dead.push(...batch);
      },
    });
  });
  afterAll(async () => {
    await dlt.stop();
    await projector.onModuleDestroy();
    await transport.close();
    await db.close();
  });

  const storedJob = () => appendJobPosted(store, { portal: 'dlt' });

  it('dead-letters each poison record with its reason and applies the good records after them', async () => {
    const good = await storedJob();
    const template = encodeEnvelope(await storedJob());
    const poison: [string, OutgoingMessage][] = [
      ['value is not JSON', { ...template, value: '{"jobId":' }],
      ['unknown event type', { ...template, headers: { ...template.headers, ce_type: 'JobTeleported' } }],
      ['invalid payload', { ...template, value: JSON.stringify({ title: 'no ids' }) }],
      ['record key does not match', { ...template, key: 'job:someone-else' }],
      [
        'unsupported schema version',
        { ...template, headers: { ...template.headers, ce_schemaversion: '99' } },
      ],
    ];
    await transport.publish(
      Topics.events('jobs'),
      poison.map(([, m]) => m),
    );
    // A tombstone (null value) cannot be sent through the port; a raw producer can, as any client could.
    const raw = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic: `${prefix}${Topics.events('jobs')}`,
      messages: [{ key: template.key, value: null, headers: template.headers }],
    });
    await raw.disconnect();
    poison.push(['tombstone (null value)', template]);
    await transport.publish(Topics.events('jobs'), [encodeEnvelope(good)]);

    await waitFor('six dead letters', () => dead.length >= 6, { timeoutMs: 30_000 });
    expect(dead).toHaveLength(6);
    poison.forEach(([reason], i) => {
      expect(dead[i]!.headers['dlt-reason']).toMatch(new RegExp(reason.split(' ')[0]!, 'i'));
      expect(dead[i]!.headers).toMatchObject({
        'dlt-topic': Topics.events('jobs'),
        'dlt-partition': '0',
        'dlt-offset': String(i),
        'dlt-group': 'projector.activity',
      });
    });
    // The same six, parked for admins to list and replay, with the record as it arrived.
    const parked = await db.dataSource.query<
      {
        source_offset: string;
        reason: string;
        record_value: Buffer | null;
        headers: Record<string, string>;
      }[]
    >(`SELECT source_offset, reason, record_value, headers FROM dead_letters ORDER BY source_offset`);
    expect(parked.map((p) => Number(p.source_offset))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parked.map((p) => p.reason)).toEqual(dead.map((d) => d.headers['dlt-reason']));
    expect(parked[0]!.record_value?.toString()).toBe('{"jobId":');
    expect(parked[5]!.record_value).toBeNull();
    expect(parked[1]!.headers.ce_type).toBe('JobTeleported');
    const items = await waitFor('the good record in the read model', async () => {
      const opening = await new ActivityFeed(db.dataSource).open({ portal: 'dlt' }, 10, undefined);
      return opening.mode === 'snapshot' && opening.items.length > 0 ? opening.items : false;
    });
    expect(items.map((i) => i.id)).toEqual([good.id]);
  });
});

describe('activity projector on Kafka: a dead letter that cannot be written holds the partition', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projector: ActivityProjector;
  const kafka = testKafkaTransport('projector-test');
  const prefix = kafka.topicPrefix;
  let dltDown = true;
  let dltAttempts = 0;
  /** The real transport, except that writes to the dead-letter topic fail while `dltDown`. */
  const transport: MessageTransport = {
    kind: kafka.kind,
    ensureTopics: (specs) => kafka.ensureTopics(specs),
    publish: async (topic, messages) => {
      if (topic === Topics.deadLetter) {
        dltAttempts += 1;
        if (dltDown) throw new Error('dead-letter topic unavailable (test)');
      }
      await kafka.publish(topic, messages);
    },
    publishAll: async (batches) => {
      if (batches.some((b) => b.topic === Topics.deadLetter)) {
        dltAttempts += 1;
        if (dltDown) throw new Error('dead-letter topic unavailable (test)');
      }
      await kafka.publishAll(batches);
    },
    subscribe: (options) => kafka.subscribe(options),
    consumerLags: (topics, groupIds) => kafka.consumerLags(topics, groupIds),
    isHealthy: () => kafka.isHealthy(),
    close: () => kafka.close(),
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    await kafka.ensureTopics(
      [
        ...['jobs', 'employers', 'candidates', 'content', 'admin'].map((c) => `feedwerk.events.${c}.v1`),
        Topics.deadLetter,
      ].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })),
    );
    projector = new ActivityProjector(
      new ActivityProjection(db.dataSource, store),
      new TickerItemPublisher(new ActivityFeed(db.dataSource), transport),
      transport,
      new DeadLetterOffice(transport, db.dataSource),
    );
    await projector.onModuleInit();
  });
  afterAll(async () => {
    await projector?.onModuleDestroy();
    await kafka.close();
    await db.close();
  });

  it('retries with back-off (no hot loop, nothing committed past the poison), then parks it once and flows on', async () => {
    const good = await appendJobPosted(store, { portal: 'dlt-down' });
    const poison = { ...encodeEnvelope(await appendJobPosted(store)), value: 'not json' };
    await transport.publish(Topics.events('jobs'), [poison, encodeEnvelope(good)]);

    await waitFor('a few failed dead-letter writes', () => dltAttempts >= 3, { timeoutMs: 30_000 });
    const attemptsBefore = dltAttempts;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Back-off between attempts: a handful in two seconds, not thousands.
    expect(dltAttempts - attemptsBefore).toBeLessThan(20);
    const feed = new ActivityFeed(db.dataSource);
    const opening = await feed.open({ portal: 'dlt-down' }, 10, undefined);
    expect(opening.mode === 'snapshot' ? opening.items : ['not a snapshot']).toEqual([]);
    const admin = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({
      groupId: `${prefix}projector.activity`,
      topics: [`${prefix}${Topics.events('jobs')}`],
    });
    await admin.disconnect();
    expect(committed!.partitions.map((p) => p.offset)).toEqual(['-1']);
    const [{ count: none }] = await db.dataSource.query<[{ count: number }]>(
      `SELECT count(*)::int AS count FROM dead_letters`,
    );
    expect(none).toBe(0);

    dltDown = false;
    const items = await waitFor(
      'the good record after the poison in the read model',
      async () => {
        const now = await feed.open({ portal: 'dlt-down' }, 10, undefined);
        return now.mode === 'snapshot' && now.items.length > 0 ? now.items : false;
      },
      { timeoutMs: 60_000 },
    );
    expect(items.map((i) => i.id)).toEqual([good.id]);
    const parked = await db.dataSource.query<{ source_offset: string; reason: string }[]>(
      `SELECT source_offset, reason FROM dead_letters`,
    );
    expect(parked).toEqual([{ source_offset: '0', reason: 'value is not JSON' }]);
  });
});
