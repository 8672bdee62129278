import { PublicTopics, Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig } from '@feedwerk/platform';
import {
  appendEmployerRegistered,
  appendJobPosted,
  testAppEnv,
  testKafkaTransport,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
} from '@feedwerk/testing';
import {
  decodeEnvelope,
  InProcessTransport,
  type IncomingMessage,
  type MessageTransport,
  type Subscription,
} from '@feedwerk/transport';
import { RELAY_CHECKPOINT, RelayService } from './relay.service';

describe('relay: event store to Kafka', () => {
  let db: TestDatabase, store: EventStore;
  const transport = testKafkaTransport('relay-test');
  const received: IncomingMessage[] = [];
  const publicReceived: IncomingMessage[] = [];
  const subscriptions: Subscription[] = [];

  const relay = (on: MessageTransport = transport) => {
    const config = loadConfig(testAppEnv(db.url, { RELAY_BATCH_SIZE: '3' }));
    return new RelayService(store, on, config, db);
  };
  const registerEmployer = async () =>
    ((await appendEmployerRegistered(store)).data as { employerId: string }).employerId;
  const postJob = (employerId: string) => appendJobPosted(store, { employerId });
  const ids = () => received.map((m) => m.headers.ce_id);

  /** Collects every record of `topics` on `on` into `into`, in a consumer group of its own. */
  const collect = async (on: MessageTransport, topics: string[], into: IncomingMessage[]) => {
    const handle = async (batch: readonly IncomingMessage[]) => void into.push(...batch);
    subscriptions.push(
      await on.subscribe({ groupId: uniqueName('check-'), topics, fromBeginning: true, handle }),
    );
  };

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    await transport.ensureTopics(
      [Topics.events('jobs'), Topics.events('employers'), PublicTopics.jobs, PublicTopics.employers].map(
        (topic) => ({ topic, partitions: 2, replicationFactor: 1 }),
      ),
    );
    await collect(transport, [Topics.events('jobs'), Topics.events('employers')], received);
    await collect(transport, [PublicTopics.jobs, PublicTopics.employers], publicReceived);
  });
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
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

  it("publishes each event's public record to its public topic, keyed by stream, in stream order", async () => {
    // Everything so far, plus one more employer with jobs, all relayed.
    const employer = await registerEmployer();
    for (let i = 0; i < 2; i += 1) await postJob(employer);
    const relayer = relay();
    relayer.onApplicationBootstrap();
    const stored = await store.readAll({ transactionId: '0', globalPosition: 0 }, 100);
    await waitFor(
      'a public record of every stored event',
      () => {
        const seen = new Set(publicReceived.map((m) => m.headers.ce_id));
        return stored.every((e) => seen.has(e.id));
      },
      { timeoutMs: 30_000 },
    );
    await relayer.onModuleDestroy();

    for (const event of stored) {
      const copies = publicReceived.filter((m) => m.headers.ce_id === event.id);
      expect(copies.length).toBeGreaterThanOrEqual(1);
      const message = copies[0]!;
      expect(message.topic).toBe(event.type === 'JobPosted' ? PublicTopics.jobs : PublicTopics.employers);
      expect(message.key).toBe(event.streamId);
      expect(message.headers).toMatchObject({ ce_type: event.type, ce_subject: event.streamId });
    }
    // Per key, the public records arrive in the order the events were committed.
    for (const streamId of new Set(stored.map((e) => e.streamId))) {
      const order = stored.filter((e) => e.streamId === streamId).map((e) => e.id);
      const seen = publicReceived.filter((m) => m.key === streamId).map((m) => m.headers.ce_id);
      expect([...new Set(seen)]).toEqual(order);
    }
  });

  it('publishes public records on the in-process transport too, before moving its checkpoint', async () => {
    const inProcess = new InProcessTransport();
    const internal: IncomingMessage[] = [];
    const visible: IncomingMessage[] = [];
    await collect(inProcess, [Topics.events('jobs'), Topics.events('employers')], internal);
    await collect(inProcess, [PublicTopics.jobs, PublicTopics.employers], visible);
    const before = await store.loadCheckpoint(RELAY_CHECKPOINT);
    const employer = await registerEmployer();
    await postJob(employer);
    const relayer = relay(inProcess);
    relayer.onApplicationBootstrap();
    const fresh = await store.readAll(before, 100);
    await waitFor('the new events relayed in process', () => relayer.published >= fresh.length, {
      timeoutMs: 30_000,
    });
    await relayer.onModuleDestroy();
    await inProcess.close();
    // The in-process publish returns only after delivery: whatever the checkpoint passed was delivered.
    expect(visible.map((m) => m.headers.ce_id)).toEqual(internal.map((m) => m.headers.ce_id));
    expect(new Set(visible.map((m) => m.headers.ce_id))).toEqual(new Set(fresh.map((e) => e.id)));
    expect(visible.map((m) => m.topic)).toEqual(
      fresh.map((e) => (e.type === 'JobPosted' ? PublicTopics.jobs : PublicTopics.employers)),
    );
  });

  it('sends an event of a type it does not know to the dead-letter topic with the reason headers, and goes on', async () => {
    const inProcess = new InProcessTransport();
    const dead: IncomingMessage[] = [];
    const internal: IncomingMessage[] = [];
    await collect(inProcess, [Topics.deadLetter], dead);
    await collect(inProcess, [Topics.events('jobs')], internal);
    const employer = await registerEmployer();
    const known = await postJob(employer);
    // Only a newer release could have written this (the store accepts known types only): by hand.
    const [{ global_position: position }] = await db.dataSource.query<[{ global_position: string }]>(
      `INSERT INTO events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
       SELECT gen_random_uuid(), 'job:from-the-future', 1, 'JobTeleported', 1, data, metadata, occurred_at
         FROM events WHERE event_id = $1
       RETURNING global_position`,
      [known.id],
    );
    const after = await postJob(employer);
    const relayer = relay(inProcess);
    relayer.onApplicationBootstrap();
    await waitFor('the job after the unknown event relayed', () =>
      internal.some((m) => m.headers.ce_id === after.id),
    );
    await relayer.onModuleDestroy();
    await inProcess.close();
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers).toMatchObject({
      ce_type: 'JobTeleported',
      'dlt-reason': 'unknown event type "JobTeleported" in the store',
      'dlt-topic': 'event-store',
      'dlt-offset': String(position),
      'dlt-group': 'relay',
    });
  });
});
