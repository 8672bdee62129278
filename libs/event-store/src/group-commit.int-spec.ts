import { randomUUID } from 'node:crypto';
import { EventStore, type StoredEvent, WrongExpectedVersionError } from '@feedwerk/event-store';
import { openTestStore, type TestDatabase } from '@feedwerk/testing';

const metadataOf = (i: number) => ({
  correlationId: `corr-${i}`,
  causationId: null,
  actor: { kind: 'system' as const, id: null },
  source: '/test',
});
const event = (n: number) => ({ type: 'TestHappened', schemaVersion: 1, data: { n } });

/** Concurrent appends of new streams commit in groups (see EventStore.appendFresh). */
describe('EventStore group commit of new streams on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;

  beforeAll(async () => ({ db, store } = await openTestStore()));
  afterAll(() => db.close());

  const fresh = (i: number, streamId = `test:${randomUUID()}`, events = [event(i)]) =>
    store.append({
      streamId,
      expectedVersion: 'no_stream',
      events,
      metadata: metadataOf(i),
      now: new Date(Date.UTC(2026, 10, 27, 10, 0, i % 60)),
      respond: (appended) => ({ i, ids: appended.map((e) => e.id) }),
    });

  it('gives every one of 300 concurrent appends its own events, metadata, time and answer', async () => {
    const notified: StoredEvent[][] = [];
    const listen = (events: StoredEvent[]) => notified.push(events);
    store.appended.on('appended', listen);
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, (_, i) => fresh(i, undefined, [event(i), event(i + 1000)])),
    );
    store.appended.off('appended', listen);

    const transactions = new Set<string>();
    outcomes.forEach((outcome, i) => {
      if (outcome.kind !== 'appended') throw new Error('not appended');
      expect(outcome.result).toEqual({ i, ids: outcome.events.map((e) => e.id) });
      expect(outcome.events.map((e) => [e.streamPosition, e.data, e.correlationId])).toEqual([
        [1, { n: i }, `corr-${i}`],
        [2, { n: i + 1000 }, `corr-${i}`],
      ]);
      expect(outcome.events[0]!.time).toBe(new Date(Date.UTC(2026, 10, 27, 10, 0, i % 60)).toISOString());
      expect(outcome.events[0]!.globalPosition).toBeLessThan(outcome.events[1]!.globalPosition);
      transactions.add(outcome.events[0]!.transactionId);
    });
    // Fewer transactions than appends: they were grouped (how many depends on timing).
    expect(transactions.size).toBeLessThan(300);
    expect(notified).toHaveLength(300);
    const stored = await db.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM events WHERE event_id = ANY($1::uuid[])`,
      [outcomes.flatMap((o) => (o.kind === 'appended' ? o.events.map((e) => e.id) : []))],
    );
    expect(Number(stored[0]!.n)).toBe(600);
  });

  it('fails only the append whose stream exists; the rest of its group commits', async () => {
    const taken = `test:${randomUUID()}`;
    await fresh(0, taken);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i === 25 ? fresh(i, taken) : fresh(i))),
    );
    results.forEach((result, i) => {
      if (i === 25) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
      } else {
        expect(result).toMatchObject({ status: 'fulfilled', value: { kind: 'appended' } });
      }
    });
    expect(await store.readStream(taken)).toHaveLength(1);
  });

  it('lets only one of two concurrent appends start the same stream', async () => {
    const stream = `test:${randomUUID()}`;
    const results = await Promise.allSettled([fresh(1, stream), fresh(2, stream), fresh(3)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('fails only the append whose answer throws', async () => {
    const results = await Promise.allSettled([
      fresh(1),
      store.append({
        streamId: `test:${randomUUID()}`,
        expectedVersion: 'no_stream',
        events: [event(2)],
        metadata: metadataOf(2),
        now: new Date(),
        respond: () => {
          throw new Error('respond failed');
        },
      }),
      fresh(3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
