import { Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import { appendJobPosted, kafkaBrokers, openTestDatabase, uniqueName, waitFor } from '@feedwerk/testing';
import {
  encodeEnvelope,
  type IncomingMessage,
  KafkaTransport,
  type OutgoingMessage,
  type Subscription,
} from '@feedwerk/transport';
import { ActivityProjector } from './activity.projector';
import { TickerItemPublisher } from './ticker-item.publisher';

describe('activity projector on Kafka: poison records go to the dead-letter topic, the partition flows on', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projector: ActivityProjector;
  const transport = new KafkaTransport({
    brokers: kafkaBrokers(),
    clientId: 'projector-test',
    topicPrefix: `${uniqueName('proj')}.`,
  });
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
    await transport.publish(Topics.events('jobs'), [...poison.map(([, m]) => m), encodeEnvelope(good)]);

    await waitFor('five dead letters', () => dead.length >= 5, { timeoutMs: 30_000 });
    expect(dead).toHaveLength(5);
    poison.forEach(([reason], i) => {
      expect(dead[i]!.headers['dlt-reason']).toMatch(new RegExp(reason.split(' ')[0]!, 'i'));
      expect(dead[i]!.headers).toMatchObject({
        'dlt-topic': Topics.events('jobs'),
        'dlt-group': 'projector.activity',
      });
    });
    const items = await waitFor('the good record in the read model', async () => {
      const opening = await new ActivityFeed(db.dataSource).open({ portal: 'dlt' }, 10, undefined);
      return opening.mode === 'snapshot' && opening.items.length > 0 ? opening.items : false;
    });
    expect(items.map((i) => i.id)).toEqual([good.id]);
  });
});
