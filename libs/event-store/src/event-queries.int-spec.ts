import { randomUUID } from 'node:crypto';
import { EventStore, START, type StoreCheckpoint, type StoredEvent } from '@feedwerk/event-store';
import { openTestStore, type TestDatabase } from '@feedwerk/testing';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 10, minute));
const metadataOf = (correlationId: string) => ({
  correlationId,
  causationId: null,
  actor: { kind: 'system' as const, id: null },
  source: '/test',
});
const checkpointOf = (e: StoredEvent): StoreCheckpoint => ({
  transactionId: e.transactionId,
  globalPosition: e.globalPosition,
});

/** The queries on `events` that browse and measure the log (history, republish, progress, causes). */
describe('EventStore range and history queries on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;
  const empty = { head: -1, countAfterStart: -1, version: -1 };
  let all: StoredEvent[] = [];
  const stream = {
    berlinJob: `job:${randomUUID()}`,
    employer: `employer:${randomUUID()}`,
    hamburgJob: `job:${randomUUID()}`,
    erased: `candidate:${randomUUID()}`,
    kept: `candidate:${randomUUID()}`,
  };

  const append = async (
    streamId: string,
    type: string,
    data: unknown,
    minute: number,
    correlationId: string,
  ) => {
    const outcome = await store.append({
      streamId,
      expectedVersion: 'any',
      events: [{ type, schemaVersion: 1, data }],
      metadata: metadataOf(correlationId),
      now: at(minute),
      respond: (appended) => appended[0]!,
    });
    all.push(outcome.result);
    return outcome.result;
  };
  const positions = (events: readonly StoredEvent[]) => events.map((e) => e.globalPosition);
  const ofTypes = (...types: string[]) => positions(all.filter((e) => types.includes(e.type)));

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    empty.head = await store.head();
    empty.countAfterStart = await store.countAfter(START);
    empty.version = await store.streamVersion(stream.berlinJob);
    all = [];
    await append(stream.berlinJob, 'JobPosted', { portal: 'berlin' }, 0, 'post-1');
    await append(stream.erased, 'CvUploaded', { portal: 'berlin' }, 1, 'cv-1');
    await append(stream.berlinJob, 'JobUpdated', { portal: 'berlin' }, 2, 'refresh');
    await append(
      stream.employer,
      'JobsRefreshed',
      { portals: [{ portal: 'hamburg' }, { portal: 'berlin' }] },
      3,
      'refresh',
    );
    await append(stream.kept, 'CvUploaded', { portal: 'hamburg' }, 4, 'cv-2');
    await append(stream.hamburgJob, 'JobPosted', { portal: 'hamburg' }, 5, 'post-2');
    await append(stream.erased, 'CandidateErased', {}, 6, 'erase');
  });
  afterAll(() => db.close());

  it('answers the head: the largest global position, 0 for an empty store', async () => {
    expect(empty.head).toBe(0);
    expect(await store.head()).toBe(Math.max(...positions(all)));
  });

  it('counts the events after a commit-order checkpoint, none after the last one', async () => {
    expect(empty.countAfterStart).toBe(0);
    expect(await store.countAfter(START)).toBe(7);
    expect(await store.countAfter(checkpointOf(all[2]!))).toBe(4);
    expect(await store.countAfter(checkpointOf(all.at(-1)!))).toBe(0);
  });

  it("answers a stream's version, 0 for a stream without events", async () => {
    expect(empty.version).toBe(0);
    expect(await store.streamVersion(stream.berlinJob)).toBe(2);
    expect(await store.streamVersion(`job:${randomUUID()}`)).toBe(0);
  });

  it('answers the correlation id of each known event and leaves unknown ids out', async () => {
    const unknown = randomUUID();
    const causes = await store.causes([all[0]!.id, all[3]!.id, unknown, all[0]!.id]);
    expect(causes).toEqual(
      new Map([
        [all[0]!.id, { correlationId: 'post-1' }],
        [all[3]!.id, { correlationId: 'refresh' }],
      ]),
    );
    expect(await store.causes([])).toEqual(new Map());
  });

  it('reads a range by global position, oldest or newest first, within its bounds and limit', async () => {
    const p = positions(all);
    const oldest = await store.readRange(
      { positions: { after: p[1], upTo: p[5] } },
      { order: 'oldest-first', limit: 10 },
    );
    expect(positions(oldest)).toEqual(p.slice(2, 6));
    const newest = await store.readRange(
      { positions: { before: p[5] } },
      { order: 'newest-first', limit: 3 },
    );
    expect(positions(newest)).toEqual([p[4], p[3], p[2]]);
    const from = await store.readRange({ positions: { from: p[5] } }, { order: 'oldest-first', limit: 10 });
    expect(positions(from)).toEqual(p.slice(5));
    expect(oldest[0]).toEqual(all[2]);
  });

  it('narrows a range by type, stream, correlation id and time: from and upTo include the bound, before excludes it', async () => {
    const read = async (range: Parameters<EventStore['readRange']>[0]) =>
      positions(await store.readRange(range, { order: 'oldest-first', limit: 100 }));
    expect(await read({ types: ['JobPosted', 'JobUpdated'] })).toEqual(ofTypes('JobPosted', 'JobUpdated'));
    expect(await read({ streamId: stream.berlinJob })).toEqual(positions([all[0]!, all[2]!]));
    expect(await read({ correlationId: 'refresh' })).toEqual(positions([all[2]!, all[3]!]));
    expect(await read({ occurred: { from: at(2), before: at(4) } })).toEqual(positions([all[2]!, all[3]!]));
    expect(await read({ occurred: { after: at(2), upTo: at(4) } })).toEqual(positions([all[3]!, all[4]!]));
    expect(await read({ types: ['JobPosted'], occurred: { from: at(1) } })).toEqual(positions([all[5]!]));
  });

  it("finds a portal's events by the payload's portal and by a bulk refresh's list of portals", async () => {
    const berlin = await store.readRange({ portal: 'berlin' }, { order: 'oldest-first', limit: 100 });
    expect(positions(berlin)).toEqual(positions(all.slice(0, 4)));
    const hamburg = await store.readRange({ portal: 'hamburg' }, { order: 'oldest-first', limit: 100 });
    expect(positions(hamburg)).toEqual(positions(all.slice(3, 6)));
  });

  it('omits an event type in the streams that hold the omitting type (an erased candidate’s uploads)', async () => {
    const range = { types: ['CvUploaded'], omit: { type: 'CvUploaded', inStreamsWith: 'CandidateErased' } };
    const read = await store.readRange(range, { order: 'oldest-first', limit: 100 });
    expect(read.map((e) => e.streamId)).toEqual([stream.kept]);
    const withOthers = await store.readRange(
      { omit: range.omit, streamId: stream.erased },
      { order: 'oldest-first', limit: 100 },
    );
    expect(withOthers.map((e) => e.type)).toEqual(['CandidateErased']);
  });

  it('counts exactly the events a range reads', async () => {
    const p = positions(all);
    const ranges = [
      {},
      { positions: { after: p[0], upTo: p[4] } },
      { portal: 'berlin', occurred: { before: at(3) } },
      { types: ['CvUploaded', 'JobPosted'], omit: { type: 'CvUploaded', inStreamsWith: 'CandidateErased' } },
      { streamId: `job:${randomUUID()}` },
    ];
    for (const range of ranges) {
      const read = await store.readRange(range, { order: 'oldest-first', limit: 100 });
      expect(await store.countRange(range)).toBe(read.length);
    }
  });

  it('reads a stream up to a time: the events that happened by then, in version order', async () => {
    const byThen = await store.readStream(stream.berlinJob, { occurredUpTo: at(1) });
    expect(byThen.map((e) => e.streamPosition)).toEqual([1]);
    const upToVersion = await store.readStream(stream.erased, { toVersion: 1, occurredUpTo: at(10) });
    expect(upToVersion.map((e) => e.type)).toEqual(['CvUploaded']);
  });

  it("reads only a range's committed events in commit order, and never past a transaction still open", async () => {
    const range = { types: ['JobPosted'], occurred: { upTo: at(30) } };
    const first = await store.readAllIn(range, START, 1);
    const rest = await store.readAllIn(range, checkpointOf(first[0]!), 100);
    expect(positions([...first, ...rest])).toEqual(ofTypes('JobPosted'));
    const before = checkpointOf(rest.at(-1)!);

    // An append that takes its position first but commits last (its transaction waits in
    // alsoWrite, after the insert) holds later matching events back.
    const slowStream = `job:${randomUUID()}`;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted = () => {};
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const slow = store.append({
      streamId: slowStream,
      expectedVersion: 'no_stream',
      events: [{ type: 'JobPosted', schemaVersion: 1, data: {} }],
      metadata: metadataOf('slow'),
      now: at(20),
      alsoWrite: async () => {
        inserted();
        await held;
      },
      respond: () => null,
    });
    await insertDone;
    const fast = await append(`job:${randomUUID()}`, 'JobPosted', {}, 21, 'fast');
    const late = await append(`job:${randomUUID()}`, 'JobPosted', {}, 40, 'too late');
    expect(await store.readAllIn(range, before, 100)).toEqual([]);

    release();
    await slow;
    const after = await store.readAllIn(range, before, 100);
    expect(after.map((e) => e.streamId)).toEqual([slowStream, fast.streamId]);
    expect(after.map((e) => e.id)).not.toContain(late.id);
  });
});
