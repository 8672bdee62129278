import { randomUUID } from 'node:crypto';
import {
  EventStore,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  WrongExpectedVersionError,
} from '@feedwerk/event-store';
import { openTestStore, type TestDatabase } from '@feedwerk/testing';

const metadata = {
  correlationId: 'corr-many',
  causationId: null,
  actor: { kind: 'system' as const, id: null },
  source: '/test',
};
const event = (n: number) => ({ type: 'TestHappened', schemaVersion: 1, data: { n } });
const now = new Date('2026-11-27T10:00:00Z');

describe('EventStore.appendMany on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;

  beforeAll(async () => ({ db, store } = await openTestStore()));
  afterAll(() => db.close());

  const count = async (streams: readonly string[]) => {
    const rows = await db.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM events WHERE stream_id = ANY($1::text[])`,
      [streams],
    );
    return Number(rows[0]!.n);
  };
  const newStreams = (n: number) => Array.from({ length: n }, () => `test:${randomUUID()}`);
  /** Each stream appended as a new one, with one event. */
  const asNew = (streams: readonly string[]) =>
    streams.map((streamId) => ({ streamId, expectedVersion: 'no_stream' as const, events: [event(1)] }));

  it('appends to many streams in one transaction: one transaction id, version 1 in each', async () => {
    const streams = newStreams(500);
    const outcome = await store.appendMany({
      streams: streams.map((streamId, i) => ({ streamId, expectedVersion: 'no_stream', events: [event(i)] })),
      metadata,
      now,
      respond: (appended) => appended.length,
    });
    expect(outcome).toMatchObject({ kind: 'appended', result: 500 });
    if (outcome.kind !== 'appended') throw new Error('not appended');
    expect(new Set(outcome.events.map((e) => e.transactionId)).size).toBe(1);
    expect(outcome.events.map((e) => e.streamId)).toEqual(streams);
    expect(outcome.events.every((e) => e.streamPosition === 1)).toBe(true);
    expect(await count(streams)).toBe(500);
  });

  it('appends nothing at all when one stream is not at its expected version', async () => {
    const [taken, ...fresh] = newStreams(4);
    await store.append({
      streamId: taken!,
      expectedVersion: 'no_stream',
      events: [event(0)],
      metadata,
      now,
      respond: () => null,
    });
    const attempt = store.appendMany({
      streams: [...fresh, taken!].map((streamId) => ({
        streamId,
        expectedVersion: 'no_stream' as const,
        events: [event(1)],
      })),
      metadata,
      now,
      respond: () => null,
    });
    await expect(attempt).rejects.toThrow(WrongExpectedVersionError);
    await expect(attempt).rejects.toMatchObject({ streamId: taken, actual: 1 });
    expect(await count(fresh)).toBe(0);
    expect(await count([taken!])).toBe(1);
  });

  it('lets only one of two concurrent imports into the same stream commit', async () => {
    const streams = newStreams(20);
    const attempt = () =>
      store.appendMany({
        streams: asNew(streams),
        metadata,
        now,
        respond: () => null,
      });
    const results = await Promise.allSettled([attempt(), attempt()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(await count(streams)).toBe(20);
  });

  it('replays a retried multi-stream append by its idempotency key and refuses another body', async () => {
    const idempotency = { scope: 'employer:x', key: `import-${randomUUID()}`, fingerprint: 'f1' };
    const request = (streams: readonly string[], fingerprint = 'f1') =>
      store.appendMany({
        streams: asNew(streams),
        metadata,
        now,
        idempotency: { ...idempotency, fingerprint },
        respond: (appended) => appended.map((e) => e.streamId),
      });
    const streams = newStreams(3);
    const first = await request(streams);
    // A retry decides new ids (new streams), yet gets the first answer and appends nothing.
    const retriedStreams = newStreams(3);
    const retry = await request(retriedStreams);
    expect(retry).toEqual({ kind: 'replayed', result: streams });
    expect(first.result).toEqual(streams);
    expect(await count(retriedStreams)).toBe(0);
    await expect(request(newStreams(3), 'f2')).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it('answers 409 (in flight) to a request whose key is still being processed, then replays', async () => {
    const idempotency = { scope: 'employer:y', key: `slow-${randomUUID()}`, fingerprint: 'f' };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const append = (alsoWrite?: () => Promise<void>) =>
      store.append({
        streamId: `test:${randomUUID()}`,
        expectedVersion: 'no_stream',
        events: [event(1)],
        metadata,
        now,
        idempotency,
        respond: (appended) => appended[0]!.streamId,
        ...(alsoWrite ? { alsoWrite } : {}),
      });
    // The first request stops inside its transaction, after its events were inserted.
    const first = append(async () => {
      inside();
      await held;
    });
    await started;
    await expect(append()).rejects.toThrow(IdempotencyKeyInFlightError);
    release();
    const done = await first;
    expect(done.kind).toBe('appended');
    await expect(append()).resolves.toEqual({ kind: 'replayed', result: done.result });
  });

  it('purges idempotency keys older than the cut-off and keeps younger ones', async () => {
    const key = `purge-${randomUUID()}`;
    await store.append({
      streamId: `test:${randomUUID()}`,
      expectedVersion: 'no_stream',
      events: [event(1)],
      metadata,
      now,
      idempotency: { scope: 'purge', key, fingerprint: 'f' },
      respond: () => 'ok',
    });
    expect(await store.purgeIdempotencyKeys(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.findIdempotent('purge', key)).not.toBeNull();
    expect(await store.purgeIdempotencyKeys(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
    expect(await store.findIdempotent('purge', key)).toBeNull();
  });
});
