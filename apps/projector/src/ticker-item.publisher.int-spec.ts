import {
  type FeedEvent,
  KafkaHeaders,
  PUBLIC_ACTIVITY_TYPE,
  PublicActivityChange,
  PublicTopics,
  Topics,
  toFeedEvent,
} from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import {
  appendJobPosted,
  openTestDatabase,
  rebuildActivity,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import {
  decodeTickerRecord,
  type IncomingMessage,
  PUBLIC_SOURCE,
  type Subscription,
} from '@feedwerk/transport';
import { TickerItemPublisher } from './ticker-item.publisher';

/**
 * The activity publisher on Kafka across a blue/green switch made by the rebuild engine
 * (projection_live): a generation marker precedes every change of a generation, also after a
 * restart, and every change also goes to the public activity topic.
 */
describe('ticker item publisher on Kafka: generation markers and the public activity topic', () => {
  let one: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  const transport = testKafkaTransport('publisher-test');
  const ticker: IncomingMessage[] = [];
  const activity: IncomingMessage[] = [];
  let reader: Subscription;
  const publishers: TickerItemPublisher[] = [];

  beforeAll(async () => {
    one = await openTestDatabase();
    store = new EventStore(one.dataSource);
    await transport.ensureTopics(
      [Topics.tickerChanges, PublicTopics.activity].map((topic) => ({
        topic,
        partitions: 1,
        replicationFactor: 1,
      })),
    );
    reader = await transport.subscribe({
      groupId: uniqueName('reader-'),
      topics: [Topics.tickerChanges, PublicTopics.activity],
      fromBeginning: true,
      handle: async (batch) => {
        for (const message of batch)
          (message.topic === Topics.tickerChanges ? ticker : activity).push(message);
      },
    });
  });
  afterAll(async () => {
    for (const publisher of publishers) await publisher.onModuleDestroy();
    await reader.stop();
    await transport.close();
    await one.close();
  });

  const start = (feed: ActivityFeed) => {
    const publisher = new TickerItemPublisher(feed, transport, store);
    publisher.onApplicationBootstrap();
    publishers.push(publisher);
    return publisher;
  };
  const postJobs = async (portal: string, n: number) => {
    const events: FeedEvent[] = [];
    for (let i = 0; i < n; i += 1) events.push(toFeedEvent(await appendJobPosted(store, { portal })));
    return events;
  };
  /** The ticker-changes records in arrival order, as `marker g@head` / `change g:position`. */
  const tickerRecords = () =>
    ticker.map((message) => {
      const record = decodeTickerRecord(message);
      return record.kind === 'marker'
        ? `marker ${record.marker.generation}@${record.marker.head}`
        : `change ${record.generation}:${record.change.position}`;
    });

  it('announces each generation before its first change, also after a restart, and publishes every change publicly', async () => {
    const portal = uniqueName('p');
    const feed = new ActivityFeed(one.dataSource);
    const projectionOne = new ActivityProjection(one.dataSource, store, { burstWindowMs: 0 });
    const history = await postJobs(portal, 2);
    const first = (await projectionOne.handle(history)).changes;
    const publisher = start(feed);
    const expected = ['marker 1@0', ...first.map((c) => `change 1:${c.position}`)];
    await waitFor('generation 1 on the topic', () => ticker.length >= expected.length, { timeoutMs: 60_000 });
    expect(tickerRecords()).toEqual(expected);

    // Generation 2: rebuilt by the engine with a one-hour burst window (the same events as one
    // burst) and switched live with its history counted as published; the projector goes on with
    // that window, in generation 2.
    try {
      const switched = await rebuildActivity(one.dataSource, store, { burstWindowMs: 3_600_000 });
      expect(switched).toMatchObject({ generation: 2, published: switched.head });
      const projectionTwo = new ActivityProjection(one.dataSource, store, { burstWindowMs: 3_600_000 });
      const [grown] = (await projectionTwo.handle(await postJobs(portal, 1))).changes;
      publisher.wakeUp();
      expected.push(`marker 2@${switched.head}`, `change 2:${grown!.position}`);
      await waitFor('generation 2 on the topic', () => ticker.length >= expected.length, {
        timeoutMs: 60_000,
      });
      expect(tickerRecords()).toEqual(expected);

      // A restarted publisher announces the live generation again before its next change.
      await publisher.onModuleDestroy();
      const [again] = (await projectionTwo.handle(await postJobs(portal, 1))).changes;
      start(feed);
      expected.push(`marker 2@${grown!.position}`, `change 2:${again!.position}`);
      await waitFor('the restarted publisher’s records', () => ticker.length >= expected.length, {
        timeoutMs: 60_000,
      });
      expect(tickerRecords()).toEqual(expected);
      // Marked after the public topic took the batch too.
      await waitFor(
        'the batch marked published',
        async () => (await feed.state()).published === again!.position,
      );
      expect(await feed.state()).toMatchObject({ generation: 2, published: again!.position });

      // Every change once on the public topic (generation 2's history is not re-published).
      await waitFor('the public activity records', () => activity.length >= 4, { timeoutMs: 60_000 });
      const published = activity.map((m) => ({
        key: m.key,
        headers: m.headers,
        value: PublicActivityChange.parse(JSON.parse(m.value!.toString('utf8'))),
      }));
      expect(published.map((p) => `${p.value.generation}:${p.value.position}`)).toEqual([
        ...first.map((c) => `1:${c.position}`),
        `2:${grown!.position}`,
        `2:${again!.position}`,
      ]);
      for (const { key, headers, value } of published) {
        expect(key).toBe(value.item.id);
        expect(headers).toMatchObject({
          [KafkaHeaders.id]: `${value.generation}:${value.position}`,
          [KafkaHeaders.type]: PUBLIC_ACTIVITY_TYPE,
          [KafkaHeaders.source]: PUBLIC_SOURCE,
          [KafkaHeaders.specVersion]: '1.0',
          [KafkaHeaders.schemaVersion]: '1',
          [KafkaHeaders.contentType]: 'application/json',
          [KafkaHeaders.subject]: `activity-item:${value.item.id}`,
          [KafkaHeaders.time]: value.item.at,
        });
      }
      // Generation 1's changes are traced to the postings that caused them.
      expect(
        published
          .slice(0, 2)
          .map((p) => [p.headers[KafkaHeaders.causationId], p.headers[KafkaHeaders.correlationId]]),
      ).toEqual(history.map((event) => [event.id, event.correlationId]));
      expect(published[2]!.value).toMatchObject({
        op: 'upsert',
        item: { kind: 'jobs.burst', count: 3, portal, order: 1 },
      });
    } finally {
      for (const publisher of publishers.splice(0)) await publisher.onModuleDestroy();
    }
  }, 180_000);
});
