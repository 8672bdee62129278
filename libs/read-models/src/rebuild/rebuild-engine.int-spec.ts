import { randomUUID } from 'node:crypto';
import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { EventStore, START, type StoreCheckpoint } from '@feedwerk/event-store';
import {
  ActivityFeed,
  ActivityProjection,
  activityTables,
  foldActivity,
  JobsProjection,
  JobsReadModel,
  jobsTables,
  RebuildRunningError,
} from '@feedwerk/read-models';
import {
  appendEmployerRegistered,
  appendJobPosted,
  appendManyJobsPosted,
  rebuildEngine,
  storeHistory,
  openTestStore,
  type TestDatabase,
  appendJobClosed,
} from '@feedwerk/testing';
import { type DataSource } from 'typeorm';

const OPTIONS = { burstWindowMs: 60_000 };

/** A generation's changes and items as the fold would produce them. */
async function generationContent(db: DataSource, generation: number) {
  const t = activityTables(generation);
  const changes: { position: string; op: string; item_id: string; kind: string; count: number }[] =
    await db.query(`SELECT position, op, item_id, kind, count FROM ${t.changes} ORDER BY position`);
  const items: { id: string; kind: string; count: number; retracted: boolean; position: string }[] =
    await db.query(`SELECT id, kind, count, retracted, position FROM ${t.items} ORDER BY id`);
  return {
    changes: changes.map((c) => ({
      position: Number(c.position),
      op: c.op,
      id: c.item_id,
      kind: c.kind,
      count: c.count,
    })),
    items: items.map((i) => ({
      id: i.id,
      kind: i.kind,
      count: i.count,
      retracted: i.retracted,
      position: Number(i.position),
    })),
  };
}

function expectedContent(events: readonly FeedEvent[]) {
  const { changes, model } = foldActivity(events, OPTIONS);
  return {
    changes: changes.map((c) => ({
      position: c.position,
      op: c.op,
      id: c.item.id,
      kind: c.item.kind,
      count: c.item.count,
    })),
    items: [...model.items.values()]
      .map((i) => ({ id: i.id, kind: i.kind, count: i.count, retracted: i.retracted, position: i.position }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

/** Each table's index definitions (without index and table names). */
async function indexesOf(db: DataSource, generation: number): Promise<string[][]> {
  const result: string[][] = [];
  const t = activityTables(generation);
  for (const table of [t.changes, t.items, t.slots, t.members]) {
    const rows: { definition: string }[] = await db.query(
      `SELECT regexp_replace(pg_get_indexdef(indexrelid), '^.* USING ', '') AS definition
         FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`,
      [table],
    );
    result.push(rows.map((r) => r.definition));
  }
  return result;
}

async function tableExists(db: DataSource, table: string): Promise<boolean> {
  const rows: { t: string | null }[] = await db.query(`SELECT to_regclass($1)::text AS t`, [table]);
  return rows[0]?.t !== null;
}

describe('blue/green rebuild engine on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;
  let live: ActivityProjection;
  let feed: ActivityFeed;

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    live = new ActivityProjection(db.dataSource, store, OPTIONS);
    feed = new ActivityFeed(db.dataSource);
  });
  afterAll(() => db.close());

  const liveGeneration = async (projection: string) => {
    const rows = await db.dataSource.query<{ generation: number }[]>(
      `SELECT generation FROM projection_live WHERE projection = $1`,
      [projection],
    );
    return rows[0]!.generation;
  };

  /** Varied history: postings on several portals (bursts), a close, an update, an employer. */
  async function appendMixed(n: number): Promise<FeedEvent[]> {
    const appended: FeedEvent[] = [];
    for (let i = 0; i < n; i += 1) {
      const posted = toFeedEvent(
        await appendJobPosted(store, { portal: ['berlin', 'hamburg', 'koeln'][i % 3] }),
      );
      appended.push(posted);
      if (i % 4 === 0 && posted.type === 'JobPosted')
        appended.push(toFeedEvent(await appendJobClosed(store, posted)));
      if (i % 5 === 0) appended.push(toFeedEvent(await appendEmployerRegistered(store)));
    }
    return appended;
  }

  it('builds generation 2 beside the live one, then switches: it equals a from-scratch fold', async () => {
    const appended = await appendMixed(20);
    await live.handle(appended);
    const before = await feed.state();
    expect(before.generation).toBe(1);

    const engine = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 7 });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    expect(rebuild.generation).toBe(2);
    await expect(engine.request('activity', randomUUID(), 'admin-test')).rejects.toBeInstanceOf(
      RebuildRunningError,
    );

    expect(await engine.step(rebuild.id)).toBe('continue');
    // Half-built: readers still see generation 1, whole.
    expect(await tableExists(db.dataSource, activityTables(2).changes)).toBe(true);
    expect((await feed.state()).generation).toBe(1);
    expect(await engine.run(rebuild.id)).toBe('live');

    const expected = expectedContent(await storeHistory(store));
    expect(await generationContent(db.dataSource, 2)).toEqual(expected);
    // The live generation also equals the fold (deterministic), so the switch changes nothing visible.
    expect(await generationContent(db.dataSource, 1)).toEqual(expected);
    const after = await feed.state();
    expect(after).toEqual({
      generation: 2,
      head: expected.changes.length,
      published: expected.changes.length,
    });
    const done = await engine.find(rebuild.id);
    expect(done).toMatchObject({
      status: 'live',
      done: (await storeHistory(store)).length,
      cancelRequested: false,
    });
    const opening = await feed.open({ portal: 'berlin' }, 50, undefined);
    expect(opening.generation).toBe(2);

    // Live batches now go to generation 2; a redelivery of an old event is seen there.
    const more = await appendMixed(3);
    const result = await live.handle([...appended.slice(0, 5), ...more]);
    expect(result.skipped).toBe(5);
    expect(await generationContent(db.dataSource, 2)).toEqual(expectedContent(await storeHistory(store)));
  });

  it('resumes from its checkpoint after the builder stopped mid-build; the next rebuild drops retired tables', async () => {
    await live.handle(await appendMixed(10));
    // Checkpoints every 2 batches: step 1 writes (4), step 2 folds in memory, step 3 writes (12).
    const first = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 4, checkpointEvery: 8 });
    const rebuild = await first.request('activity', randomUUID(), 'admin-test');
    expect(rebuild.generation).toBe(3);
    for (let i = 0; i < 3; i += 1) expect(await first.step(rebuild.id)).toBe('continue');
    expect((await first.find(rebuild.id))?.done).toBe(12);
    // Step 4 folds 4 more events in memory only: the process "dies" with them unwritten.
    expect(await first.step(rebuild.id)).toBe('continue');
    const halfway = await first.find(rebuild.id);
    expect(halfway?.done).toBe(12);
    // Generation 1 is retired and not live: dropped when this rebuild started; 2 stays live.
    expect(await tableExists(db.dataSource, activityTables(1).items)).toBe(false);
    expect(await tableExists(db.dataSource, activityTables(2).items)).toBe(true);

    // A new process (no memory of the fold) leaves it alone while the first one's lease is fresh …
    const second = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 4 });
    expect(await second.step(rebuild.id)).toBe('busy');
    // … and once it lapsed (the first process died), continues from the row's checkpoint.
    await db.dataSource.query(
      `UPDATE projection_rebuilds SET heartbeat_at = now() - interval '1 minute' WHERE id = $1`,
      [rebuild.id],
    );
    expect(await second.run(rebuild.id)).toBe('live');
    expect(await generationContent(db.dataSource, 3)).toEqual(expectedContent(await storeHistory(store)));
    expect(await liveGeneration('activity')).toBe(3);
    expect(await second.find(rebuild.id)).toMatchObject({
      status: 'live',
      done: (await storeHistory(store)).length,
    });
  });

  it('cancels between batches: tables dropped, the live generation untouched', async () => {
    const engine = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 5 });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    expect(await engine.step(rebuild.id)).toBe('continue');
    expect(await engine.requestCancel(rebuild.id)).toMatchObject({ cancelRequested: true });
    expect(await engine.requestCancel(rebuild.id)).toBeNull();
    expect(await engine.step(rebuild.id)).toBe('cancelled');
    expect(await engine.find(rebuild.id)).toMatchObject({ status: 'cancelled' });
    expect(await tableExists(db.dataSource, activityTables(rebuild.generation).items)).toBe(false);
    expect(await liveGeneration('activity')).toBe(3);
    // A new rebuild may start after a cancelled one.
    const next = await engine.request('activity', randomUUID(), 'admin-test');
    expect(next.generation).toBe(rebuild.generation + 1);
    await engine.requestCancel(next.id);
    expect(await engine.run(next.id)).toBe('cancelled');
  });

  it('overlaps checkpoint writes with the fold: a builder stopped after them is resumed from the last one committed', async () => {
    await live.handle(await appendMixed(12));
    const total = (await storeHistory(store)).length;
    const first = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 4, checkpointEvery: 8 });
    const rebuild = await first.request('activity', randomUUID(), 'admin-test');
    // Step 1 writes (4) and returns committed; steps 3 and 5 start writes (12, 20) that commit while
    // steps 4 and 5 read and fold; step 6 folds 4 more in memory only.
    expect(await first.step(rebuild.id, { overlap: true })).toBe('continue');
    expect((await first.find(rebuild.id))?.done).toBe(4);
    for (let i = 0; i < 5; i += 1) expect(await first.step(rebuild.id, { overlap: true })).toBe('continue');
    await first.settle();
    // The row names only what was written with its effect: the second write, not the folded tail.
    expect((await first.find(rebuild.id))?.done).toBe(20);
    expect(total).toBeGreaterThan(28);

    const second = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 4, checkpointEvery: 8 });
    expect(await second.step(rebuild.id, { overlap: true })).toBe('busy');
    await db.dataSource.query(
      `UPDATE projection_rebuilds SET heartbeat_at = now() - interval '1 minute' WHERE id = $1`,
      [rebuild.id],
    );
    expect(await second.run(rebuild.id)).toBe('live');
    expect(await generationContent(db.dataSource, rebuild.generation)).toEqual(
      expectedContent(await storeHistory(store)),
    );
    expect(await second.find(rebuild.id)).toMatchObject({ status: 'live', done: total });
  });

  it('cancels with a checkpoint write in flight: the write lands or not, the tables go', async () => {
    const engine = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 3, checkpointEvery: 6 });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    for (let i = 0; i < 3; i += 1) expect(await engine.step(rebuild.id, { overlap: true })).toBe('continue');
    // Step 3 started a write; the cancel lands before or after it commits.
    expect(await engine.requestCancel(rebuild.id)).toMatchObject({ cancelRequested: true });
    expect(await engine.run(rebuild.id)).toBe('cancelled');
    expect(await engine.find(rebuild.id)).toMatchObject({ status: 'cancelled' });
    expect(await tableExists(db.dataSource, activityTables(rebuild.generation).items)).toBe(false);
    expect(await tableExists(db.dataSource, activityTables(rebuild.generation).stagedVersions)).toBe(false);
  });

  it('switches while live batches run concurrently: nothing missed, nothing doubled', async () => {
    const engine = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 25 });
    await appendManyJobsPosted(store, 150, { portal: 'muenchen' });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    let stop = false;
    // The "relay + live projector": appends keep arriving and are projected in commit order.
    let seen: StoreCheckpoint = START;
    const projectLive = async () => {
      const batch = await store.readAll(seen, 50);
      if (batch.length === 0) return;
      await live.handle(batch.map(toFeedEvent));
      const last = batch.at(-1)!;
      seen = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    };
    const traffic = (async () => {
      while (!stop) {
        await appendJobPosted(store, { portal: 'muenchen' });
        await projectLive();
      }
    })();
    const outcome = await engine.run(rebuild.id);
    stop = true;
    await traffic;
    for (let i = 0; i < 10; i += 1) await projectLive();
    expect(outcome).toBe('live');

    const events = await storeHistory(store);
    const expected = expectedContent(events);
    const actual = await generationContent(db.dataSource, rebuild.generation);
    // Positions after the switch follow the live projector's batches; content is what the fold gives.
    expect(actual.changes).toHaveLength(expected.changes.length);
    expect(actual.changes.map((c) => c.position)).toEqual(expected.changes.map((_, i) => i + 1));
    const strip = (list: { id: string; kind: string; count: number; op?: string; retracted?: boolean }[]) =>
      list
        .map(({ id, kind, count, op, retracted }) => ({ id, kind, count, op, retracted }))
        .sort((a, b) => `${a.id}${a.count}${a.op ?? ''}`.localeCompare(`${b.id}${b.count}${b.op ?? ''}`));
    expect(strip(actual.changes)).toEqual(strip(expected.changes));
    expect(strip(actual.items)).toEqual(strip(expected.items));
  });

  it('rebuilds the jobs projection too: readers switch to the new generation with the same answers', async () => {
    const jobs = new JobsProjection(db.dataSource, store);
    const reader = new JobsReadModel(db.dataSource);
    const posted = await appendJobPosted(store, { portal: 'berlin', title: 'Rebuild Testjob' });
    await jobs.handle(
      (await storeHistory(store)).filter(
        (e) => e.streamId.startsWith('job:') || e.streamId.startsWith('employer:'),
      ),
    );
    const before = await reader.job(toFeedEvent(posted).streamId.slice(4));
    expect(before?.title).toBe('Rebuild Testjob');
    const listBefore = await reader.list({ portal: 'muenchen' }, { limit: 500 });

    const engine = rebuildEngine(db.dataSource, store, { ...OPTIONS, batchSize: 40 });
    const rebuild = await engine.request('jobs', randomUUID(), 'admin-test');
    expect(rebuild.generation).toBe(2);
    expect(await engine.run(rebuild.id)).toBe('live');
    expect(await liveGeneration('jobs')).toBe(2);
    expect(await tableExists(db.dataSource, jobsTables(2).jobs)).toBe(true);
    expect(await reader.job(before!.jobId)).toEqual(before);
    expect(await reader.list({ portal: 'muenchen' }, { limit: 500 })).toEqual(listBefore);
    const counts: { n: string }[] = await db.dataSource.query(
      `SELECT (SELECT count(*) FROM ${jobsTables(2).jobs}) - (SELECT count(*) FROM ${jobsTables(1).jobs}) AS n`,
    );
    expect(Number(counts[0]!.n)).toBe(0);
  });

  it('keeps only the newest changes of the rebuilt log; items, head and counters equal the full fold', async () => {
    await live.handle(await appendMixed(6));
    const before = await liveGeneration('activity');
    const engine = rebuildEngine(db.dataSource, store, {
      ...OPTIONS,
      batchSize: 6,
      checkpointEvery: 18,
      retainChanges: 5,
    });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    expect(await engine.run(rebuild.id)).toBe('live');
    const expected = expectedContent(await storeHistory(store));
    const actual = await generationContent(db.dataSource, rebuild.generation);
    expect(expected.changes.length).toBeGreaterThan(5);
    expect(actual.changes).toEqual(expected.changes.slice(-5));
    expect(actual.items).toEqual(expected.items);
    const feed = new ActivityFeed(db.dataSource);
    const head = expected.changes.length;
    expect(await feed.state()).toEqual({ generation: rebuild.generation, head, published: head });
    // Within the retained tail a client catches up exactly; before it, it gets the box.
    const recent = await feed.open({ portal: 'muenchen' }, 50, head - 5);
    expect(recent).toMatchObject({ mode: 'changes', head });
    expect(recent.mode === 'changes' && recent.changes.map((c) => c.position)).toEqual(
      expected.changes.slice(-5).map((c) => c.position),
    );
    expect(await feed.open({ portal: 'muenchen' }, 50, head - 6)).toMatchObject({ mode: 'snapshot', head });
    // Built without indexes, switched with the same keys and indexes as the generation before.
    expect(await indexesOf(db.dataSource, rebuild.generation)).toEqual(
      await indexesOf(db.dataSource, before),
    );
    expect((await indexesOf(db.dataSource, before)).flat()).toHaveLength(7);
  });
});
