import { randomUUID } from 'node:crypto';
import {
  EventStore,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  START,
  type StoreCheckpoint,
  type StoredEvent,
  WrongExpectedVersionError,
} from '@feedwerk/event-store';
import { openTestStore, type TestDatabase } from '@feedwerk/testing';
import { type DataSource } from 'typeorm';

const metadata = {
  correlationId: 'corr-1',
  causationId: null,
  actor: { kind: 'system' as const, id: null },
  source: '/test',
};
const event = (n: number) => ({ type: 'TestHappened', schemaVersion: 1, data: { n } });
const now = new Date('2026-11-27T10:00:00Z');

describe('EventStore on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;

  beforeAll(async () => ({ db, store } = await openTestStore()));
  afterAll(() => db.close());

  const append = (streamId: string, expectedVersion: number | 'no_stream' | 'any', n = 1, extra = {}) =>
    store.append({
      streamId,
      expectedVersion,
      events: Array.from({ length: n }, (_, i) => event(i + 1)),
      metadata,
      now,
      respond: (appended) => ({ version: appended.at(-1)!.streamPosition }),
      ...extra,
    });

  async function readEverything(from: StoreCheckpoint = START): Promise<StoredEvent[]> {
    const all: StoredEvent[] = [];
    let checkpoint = from;
    for (;;) {
      const batch = await store.readAll(checkpoint, 100);
      if (batch.length === 0) return all;
      all.push(...batch);
      const last = batch.at(-1)!;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    }
  }

  it('appends events with consecutive stream positions and reads the stream back in order', async () => {
    const stream = `test:${randomUUID()}`;
    await append(stream, 'no_stream', 2);
    await append(stream, 2, 1);
    const events = await store.readStream(stream);
    expect(events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
    expect(events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 1 }]);
    expect(events[0]).toMatchObject({ type: 'TestHappened', correlationId: 'corr-1', source: '/test' });
  });

  it('refuses an append decided on a stale version', async () => {
    const stream = `test:${randomUUID()}`;
    await append(stream, 'no_stream');
    await expect(append(stream, 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(append(stream, 0)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('lets exactly one of two concurrent appends on the same version win', async () => {
    const stream = `test:${randomUUID()}`;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => append(stream, 'no_stream')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers.every((r) => r.reason instanceof WrongExpectedVersionError)).toBe(true);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('appends nothing for a retried idempotency key and returns the first result', async () => {
    const idempotency = { scope: 'employer:1', key: randomUUID(), fingerprint: 'body-a' };
    const first = await append(`test:${randomUUID()}`, 'no_stream', 1, { idempotency });
    const retryStream = `test:${randomUUID()}`;
    const retry = await append(retryStream, 'no_stream', 1, { idempotency });
    expect(first.kind).toBe('appended');
    expect(retry).toEqual({ kind: 'replayed', result: first.result });
    expect(await store.readStream(retryStream)).toHaveLength(0);
  });

  it('appends once when the same idempotency key arrives concurrently', async () => {
    const idempotency = { scope: 'employer:2', key: randomUUID(), fingerprint: 'body-b' };
    const streams = Array.from({ length: 4 }, () => `test:${randomUUID()}`);
    const settled = await Promise.allSettled(streams.map((s) => append(s, 'no_stream', 1, { idempotency })));
    // The others either overlapped the first (409: in flight) or came after its commit (replayed).
    const outcomes = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(outcomes.filter((o) => o.kind === 'appended')).toHaveLength(1);
    for (const r of settled) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IdempotencyKeyInFlightError);
    }
    const stored = await Promise.all(streams.map((s) => store.readStream(s)));
    expect(stored.flat()).toHaveLength(1);
  });

  it('refuses an idempotency key reused with a different request', async () => {
    const key = randomUUID();
    await append(`test:${randomUUID()}`, 'no_stream', 1, {
      idempotency: { scope: 's', key, fingerprint: 'a' },
    });
    const other = `test:${randomUUID()}`;
    await expect(
      append(other, 'no_stream', 1, { idempotency: { scope: 's', key, fingerprint: 'b' } }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await store.readStream(other)).toHaveLength(0);
  });

  it('rolls back the events when a write in the same transaction fails', async () => {
    const stream = `test:${randomUUID()}`;
    await expect(
      append(stream, 'no_stream', 1, {
        alsoWrite: async (tx: { query: DataSource['query'] }) => {
          await tx.query('SELECT 1/0');
        },
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await store.readStream(stream)).toHaveLength(0);
  });

  it('keeps the event log append-only at the database', async () => {
    const stream = `test:${randomUUID()}`;
    await append(stream, 'no_stream');
    await expect(db.dataSource.query(`DELETE FROM events WHERE stream_id = $1`, [stream])).rejects.toThrow(
      /append-only/,
    );
  });

  it('reads all events exactly once, in an order that keeps every stream in version order', async () => {
    const before = await readEverything();
    const streams = Array.from({ length: 6 }, () => `test:${randomUUID()}`);
    await Promise.all(
      streams.map(async (s) => {
        for (let v = 0; v < 5; v += 1) await append(s, v === 0 ? 'no_stream' : v);
      }),
    );
    const last = before.at(-1);
    const after = await readEverything(
      last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : START,
    );
    const ours = after.filter((e) => streams.includes(e.streamId));
    expect(ours).toHaveLength(30);
    expect(new Set(ours.map((e) => e.id)).size).toBe(30);
    for (const s of streams) {
      expect(ours.filter((e) => e.streamId === s).map((e) => e.streamPosition)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('reads the same events in the same order and batches as arrays as readAll does', async () => {
    // Several transactions, each with several events: commit order is (transaction, position).
    for (let i = 0; i < 4; i += 1) await append(`test:${randomUUID()}`, 'no_stream', 3);
    let checkpoint: StoreCheckpoint = START;
    let arraysCheckpoint: StoreCheckpoint = START;
    for (;;) {
      const batch = await store.readAll(checkpoint, 5);
      const arrays = await store.readAllAsArrays(['event_id', 'stream_position'], arraysCheckpoint, 5);
      expect(arrays.map((row) => [row[0], Number(row[1]), row[2], row[3]])).toEqual(
        batch.map((e) => [e.transactionId, e.globalPosition, e.id, e.streamPosition]),
      );
      if (batch.length === 0) break;
      const last = batch.at(-1)!;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
      const lastRow = arrays.at(-1)!;
      arraysCheckpoint = { transactionId: String(lastRow[0]), globalPosition: Number(lastRow[1]) };
    }
  });

  it('never skips an event whose transaction commits after later ones', async () => {
    let checkpoint = START;
    const drain = async () => {
      const seen: StoredEvent[] = [];
      for (;;) {
        const batch = await store.readAll(checkpoint, 100);
        if (batch.length === 0) return seen;
        seen.push(...batch);
        const last = batch.at(-1)!;
        checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
      }
    };
    await drain();

    // Hold one append's transaction open: it takes its position first but commits last.
    const slow = db.dataSource.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    const slowStream = `test:${randomUUID()}`;
    await slow.query(
      `INSERT INTO events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
       VALUES ($1, $2, 1, 'TestHappened', 1, '{}', $3, now())`,
      [randomUUID(), slowStream, JSON.stringify(metadata)],
    );

    const fastStreams = Array.from({ length: 3 }, () => `test:${randomUUID()}`);
    for (const s of fastStreams) await append(s, 'no_stream');
    // A naive `global_position > checkpoint` reader would now see the fast events and move past the slow one.
    // This reader instead holds back everything behind the open transaction.
    const whileOpen = await drain();
    expect(whileOpen).toHaveLength(0);

    await slow.commitTransaction();
    await slow.release();
    const afterCommit = await drain();
    const seen = [...whileOpen, ...afterCommit].map((e) => e.streamId);
    expect(seen).toContain(slowStream);
    for (const s of fastStreams) expect(seen.filter((x) => x === s)).toHaveLength(1);
  });

  it('keeps a checkpoint monotonic when a stale writer saves an older one', async () => {
    await store.saveCheckpoint('test-reader', { transactionId: '100', globalPosition: 50 });
    await store.saveCheckpoint('test-reader', { transactionId: '90', globalPosition: 60 });
    expect(await store.loadCheckpoint('test-reader')).toEqual({ transactionId: '100', globalPosition: 50 });
  });
});
