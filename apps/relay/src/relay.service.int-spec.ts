import { Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig } from '@feedwerk/platform';
import {
  appendEmployerRegistered,
  appendJobPosted,
  kafkaBrokers,
  openTestDatabase,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { decodeEnvelope, type IncomingMessage, KafkaTransport, type Subscription } from '@feedwerk/transport';
import { RelayService } from './relay.service';

describe('relay: event store to Kafka', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  const prefix = `${uniqueName('relay')}.`;
  const transport = new KafkaTransport({
    brokers: kafkaBrokers(),
    clientId: 'relay-test',
    topicPrefix: prefix,
  });
  const received: IncomingMessage[] = [];
  let subscription: Subscription;

  const relay = () => {
    const config = loadConfig({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      RELAY_BATCH_SIZE: '3',
    });
    return new RelayService(store, transport, config, db);
  };
  const registerEmployer = async () =>
    ((await appendEmployerRegistered(store)).data as { employerId: string }).employerId;
  const postJob = (employerId: string) => appendJobPosted(store, { employerId });
  const ids = () => received.map((m) => m.headers.ce_id);

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    await transport.ensureTopics(
      [Topics.events('jobs'), Topics.events('employers')].map((topic) => ({
        topic,
        partitions: 2,
        replicationFactor: 1,
      })),
    );
    subscription = await transport.subscribe({
      groupId: uniqueName('relay-check-'),
      topics: [Topics.events('jobs'), Topics.events('employers')],
      fromBeginning: true,
      handle: async (batch) => {
        received.push(...batch);
      },
    });
  });
  afterAll(async () => {
    await subscription.stop();
    await transport.close();
    await db.close();
  });

  it('publishes every committed event once, to its category topic, keyed by stream, across batches and restarts', async () => {
    const employers = [await registerEmployer(), await registerEmployer()];
    for (const e of employers) for (let i = 0; i < 3; i += 1) await postJob(e);

    const first = relay();
    first.onApplicationBootstrap();
    await waitFor('8 events on Kafka', () => received.length >= 8, { timeoutMs: 30_000 });
    await first.onModuleDestroy();

    // Stopped: new events wait in the store (the outbox) ...
    await postJob(employers[0]!);
    await postJob(employers[1]!);
    const second = relay();
    second.onApplicationBootstrap();
    // ... and the next relay resumes from the checkpoint: only the two new ones are published.
    await waitFor('10 events on Kafka', () => received.length >= 10, { timeoutMs: 30_000 });
    await second.onModuleDestroy();

    const stored = await store.readAll({ transactionId: '0', globalPosition: 0 }, 100);
    expect(new Set(ids())).toEqual(new Set(stored.map((e) => e.id)));
    expect(ids()).toHaveLength(10);
    for (const message of received) {
      const event = decodeEnvelope(message);
      expect(message.key).toBe(event.streamId);
      expect(message.topic).toBe(
        event.type === 'JobPosted' ? Topics.events('jobs') : Topics.events('employers'),
      );
    }
  });

  it('lets one relay lead when two run: nothing is published twice', async () => {
    const before = received.length;
    const a = relay();
    const b = relay();
    a.onApplicationBootstrap();
    b.onApplicationBootstrap();
    const employer = await registerEmployer();
    for (let i = 0; i < 4; i += 1) await postJob(employer);
    await waitFor('5 more events on Kafka', () => received.length >= before + 5, { timeoutMs: 30_000 });
    await Promise.all([a.onModuleDestroy(), b.onModuleDestroy()]);
    expect(new Set(ids()).size).toBe(ids().length);
    expect(a.published + b.published).toBe(5);
    expect(Math.min(a.published, b.published)).toBe(0);
  });
});
