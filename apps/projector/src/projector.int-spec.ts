import { ALL_EVENT_CATEGORIES, Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, ActivityProjection, JobsProjection, JobsReadModel } from '@feedwerk/read-models';
import {
  appendJobPosted,
  kafkaBrokers,
  openTestDatabase,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import {
  DeadLetterOffice,
  encodeEnvelope,
  type IncomingMessage,
  type MessageTransport,
  type OutgoingMessage,
  type Subscription,
} from '@feedwerk/transport';
import { Kafka, logLevel } from 'kafkajs';
import { activityProjector } from './activity.projector';
import { JOBS_GROUP, jobsProjector } from './jobs.projector';
import { Projector, type ProjectorDefinition } from './projector';
import { TickerItemPublisher } from './ticker-item.publisher';

interface OnKafka {
  db: Awaited<ReturnType<typeof openTestDatabase>>;
  store: EventStore;
  /** What the projector publishes through (Kafka, or `wrap` of it). */
  transport: MessageTransport;
  /** The test's own topic prefix. */
  prefix: string;
  /** Every record on the dead-letter topic, in order. */
  dead: IncomingMessage[];
}

/**
 * A projector of `define` on Kafka for the enclosing describe: on a database of its own, under a
 * topic prefix of its own, its topics (and the dead-letter topic) created with `partitions` each, and
 * the dead-letter topic read into `dead`. `wrap` stands between the projector and Kafka.
 */
const projectorOnKafka = (
  topics: readonly string[],
  partitions: number,
  define: (on: OnKafka) => ProjectorDefinition,
  wrap: (kafka: MessageTransport) => MessageTransport = (kafka) => kafka,
): OnKafka => {
  const kafka = testKafkaTransport('projector-test');
  const prefix = kafka.topicPrefix;
  const on = { prefix, transport: wrap(kafka), dead: [] as IncomingMessage[] } as OnKafka;
  let projector: Projector | undefined;
  let reader: Subscription | undefined;
  beforeAll(async () => {
    on.db = await openTestDatabase();
    on.store = new EventStore(on.db.dataSource);
    await kafka.ensureTopics(
      [...topics, Topics.deadLetter].map((topic) => ({ topic, partitions, replicationFactor: 1 })),
    );
    const deadLetters = new DeadLetterOffice(on.transport, on.db.dataSource);
    projector = new Projector(define(on), on.transport, deadLetters);
    await projector.onModuleInit();
    reader = await kafka.subscribe({
      groupId: uniqueName('dlt-reader-'),
      topics: [Topics.deadLetter],
      fromBeginning: true,
      handle: async (batch) => void on.dead.push(...batch),
    });
  });
  afterAll(async () => {
    await reader?.stop();
    await projector?.onModuleDestroy();
    await kafka.close();
    await on.db?.close();
  });
  return on;
};

const EVENT_TOPICS = ALL_EVENT_CATEGORIES.map((c) => Topics.events(c));
const activity = ({ db, store, transport }: OnKafka) =>
  activityProjector(
    new ActivityProjection(db.dataSource, store),
    new TickerItemPublisher(new ActivityFeed(db.dataSource), transport, store),
  );

describe('activity projector on Kafka: poison records go to the dead-letter topic, the partition flows on', () => {
  const on = projectorOnKafka(EVENT_TOPICS, 1, activity);

  const storedJob = () => appendJobPosted(on.store, { portal: 'dlt' });

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
    await on.transport.publish(
      Topics.events('jobs'),
      poison.map(([, m]) => m),
    );
    // A tombstone (null value) cannot be sent through the port; a raw producer can, as any client could.
    const raw = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic: `${on.prefix}${Topics.events('jobs')}`,
      messages: [{ key: template.key, value: null, headers: template.headers }],
    });
    await raw.disconnect();
    poison.push(['tombstone (null value)', template]);
    await on.transport.publish(Topics.events('jobs'), [encodeEnvelope(good)]);

    await waitFor('six dead letters', () => on.dead.length >= 6, { timeoutMs: 30_000 });
    expect(on.dead).toHaveLength(6);
    poison.forEach(([reason], i) => {
      expect(on.dead[i]!.headers['dlt-reason']).toMatch(new RegExp(reason.split(' ')[0]!, 'i'));
      expect(on.dead[i]!.headers).toMatchObject({
        'dlt-topic': Topics.events('jobs'),
        'dlt-partition': '0',
        'dlt-offset': String(i),
        'dlt-group': 'projector.activity',
      });
    });
    // The same six, parked for admins to list and replay, with the record as it arrived.
    const parked = await on.db.dataSource.query<
      {
        source_offset: string;
        reason: string;
        record_value: Buffer | null;
        headers: Record<string, string>;
      }[]
    >(`SELECT source_offset, reason, record_value, headers FROM dead_letters ORDER BY source_offset`);
    expect(parked.map((p) => Number(p.source_offset))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parked.map((p) => p.reason)).toEqual(on.dead.map((d) => d.headers['dlt-reason']));
    expect(parked[0]!.record_value?.toString()).toBe('{"jobId":');
    expect(parked[5]!.record_value).toBeNull();
    expect(parked[1]!.headers.ce_type).toBe('JobTeleported');
    const items = await waitFor('the good record in the read model', async () => {
      const opening = await new ActivityFeed(on.db.dataSource).open({ portal: 'dlt' }, 10, undefined);
      return opening.mode === 'snapshot' && opening.items.length > 0 ? opening.items : false;
    });
    expect(items.map((i) => i.id)).toEqual([good.id]);
  });
});

describe('activity projector on Kafka: a dead letter that cannot be written holds the partition', () => {
  let dltDown = true;
  let dltAttempts = 0;
  /** The real transport, except that writes to the dead-letter topic fail while `dltDown`. */
  const failingDeadLetters = (kafka: MessageTransport): MessageTransport => ({
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
  });
  const on = projectorOnKafka(EVENT_TOPICS, 1, activity, failingDeadLetters);

  it('retries with back-off (no hot loop, nothing committed past the poison), then parks it once and flows on', async () => {
    const good = await appendJobPosted(on.store, { portal: 'dlt-down' });
    const poison = { ...encodeEnvelope(await appendJobPosted(on.store)), value: 'not json' };
    await on.transport.publish(Topics.events('jobs'), [poison, encodeEnvelope(good)]);

    await waitFor('a few failed dead-letter writes', () => dltAttempts >= 3, { timeoutMs: 30_000 });
    const attemptsBefore = dltAttempts;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Back-off between attempts: a handful in two seconds, not thousands.
    expect(dltAttempts - attemptsBefore).toBeLessThan(20);
    const feed = new ActivityFeed(on.db.dataSource);
    const opening = await feed.open({ portal: 'dlt-down' }, 10, undefined);
    expect(opening.mode === 'snapshot' ? opening.items : ['not a snapshot']).toEqual([]);
    const admin = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({
      groupId: `${on.prefix}projector.activity`,
      topics: [`${on.prefix}${Topics.events('jobs')}`],
    });
    await admin.disconnect();
    expect(committed!.partitions.map((p) => p.offset)).toEqual(['-1']);
    const [{ count: none }] = await on.db.dataSource.query<[{ count: number }]>(
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
    const parked = await on.db.dataSource.query<{ source_offset: string; reason: string }[]>(
      `SELECT source_offset, reason FROM dead_letters`,
    );
    expect(parked).toEqual([{ source_offset: '0', reason: 'value is not JSON' }]);
  });
});

describe('jobs projector on Kafka: its own consumer group, duplicates change nothing, poison is parked', () => {
  const on = projectorOnKafka([Topics.events('jobs'), Topics.events('employers')], 2, ({ db, store }) =>
    jobsProjector(new JobsProjection(db.dataSource, store)),
  );

  it('projects a job delivered twice once, and dead-letters a record that is not an event', async () => {
    const posted = await appendJobPosted(on.store, { portal: 'kafka', title: 'Gärtner (m/w/d)' });
    const message = encodeEnvelope(posted);
    await on.transport.publish(Topics.events('jobs'), [{ ...message, value: 'not json' }, message, message]);
    const model = new JobsReadModel(on.db.dataSource);
    const jobId = (posted.data as { jobId: string }).jobId;
    const job = await waitFor('the job in the read model', () => model.job(jobId).then((j) => j ?? false), {
      timeoutMs: 30_000,
    });
    expect(job).toMatchObject({
      jobId,
      version: 1,
      title: 'Gärtner (m/w/d)',
      portal: 'kafka',
      status: 'open',
    });
    await waitFor('the dead letter', () => on.dead.length >= 1, { timeoutMs: 30_000 });
    expect(on.dead[0]!.headers).toMatchObject({
      'dlt-group': JOBS_GROUP,
      'dlt-topic': Topics.events('jobs'),
    });
    expect((await model.list({ portal: 'kafka' }, { limit: 10 })).items).toHaveLength(1);
  });
});
