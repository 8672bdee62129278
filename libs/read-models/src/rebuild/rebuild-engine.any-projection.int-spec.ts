import { randomUUID } from 'node:crypto';
import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { EventStore, type StoreCheckpoint } from '@feedwerk/event-store';
import {
  type GenerationBuilder,
  generationSuffix,
  type Projection,
  RebuildEngine,
  type StoreBatch,
} from '@feedwerk/read-models';
import { appendJobPosted, storeHistory, openTestStore, type TestDatabase } from '@feedwerk/testing';
import { type DataSource, type EntityManager } from 'typeorm';

const countsTable = (generation: number) => `rm_test_stream_counts${generationSuffix(generation)}`;

/**
 * A projection the engine has never heard of: events per stream. It proves that a third read model
 * is rebuilt by implementing `Projection` alone, without a line of the engine changed.
 */
class StreamCounts implements Projection<void> {
  readonly name = 'stream-counts';
  readonly version = 'stream-counts@1';
  readonly bulkLoad = false;

  constructor(private readonly store: EventStore) {}

  tables(generation: number): readonly string[] {
    return [countsTable(generation)];
  }

  handle(): Promise<void> {
    return Promise.reject(new Error('not projected live in this test'));
  }

  builder(
    _tx: EntityManager,
    generation: number,
  ): Promise<GenerationBuilder<FeedEvent, Map<string, number>>> {
    const store = this.store;
    let counts = new Map<string, number>();
    return Promise.resolve({
      async read(from: StoreCheckpoint, limit: number, tx?: EntityManager): Promise<StoreBatch<FeedEvent>> {
        const stored = await store.readAll(from, limit, tx);
        const last = stored.at(-1);
        return {
          count: stored.length,
          events: stored.map(toFeedEvent),
          end: last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : from,
        };
      },
      fold(events: readonly FeedEvent[]) {
        for (const e of events) counts.set(e.streamId, (counts.get(e.streamId) ?? 0) + 1);
      },
      cut() {
        const cut = counts;
        counts = new Map();
        return cut;
      },
      async write(tx: EntityManager, cut: Map<string, number>) {
        if (cut.size === 0) return;
        await tx.query(
          `INSERT INTO ${countsTable(generation)} (stream_id, events) SELECT * FROM unnest($1::text[], $2::int[])
           ON CONFLICT (stream_id) DO UPDATE SET events = ${countsTable(generation)}.events + EXCLUDED.events`,
          [[...cut.keys()], [...cut.values()]],
        );
      },
    });
  }
}

describe('the rebuild engine with a projection it does not know', () => {
  let db: TestDatabase, store: EventStore;
  const tableExists = async (source: DataSource, table: string) =>
    (await source.query<{ found: boolean }[]>(`SELECT to_regclass($1) IS NOT NULL AS found`, [table]))[0]
      ?.found;

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    // Generation 1 is what a projection's migration creates.
    await db.dataSource.query(
      `CREATE TABLE ${countsTable(1)} (stream_id text PRIMARY KEY, events int NOT NULL)`,
    );
    await db.dataSource.query(
      `INSERT INTO projection_live (projection, generation) VALUES ('stream-counts', 1)`,
    );
  });
  afterAll(() => db.close());

  it('builds its generation through the interface alone and switches to it', async () => {
    for (let i = 0; i < 11; i += 1) await appendJobPosted(store, { portal: 'bremen' });
    const engine = new RebuildEngine(
      db.dataSource,
      store,
      { 'stream-counts': new StreamCounts(store) },
      {
        batchSize: 3,
        checkpointEvery: 4,
      },
    );
    const rebuild = await engine.request('stream-counts', randomUUID(), 'admin-test');
    expect(await engine.run(rebuild.id)).toBe('live');

    const live: { generation: number }[] = await db.dataSource.query(
      `SELECT generation FROM projection_live WHERE projection = 'stream-counts'`,
    );
    expect(live[0]?.generation).toBe(2);
    const rows: { stream_id: string; events: number }[] = await db.dataSource.query(
      `SELECT stream_id, events FROM ${countsTable(2)} ORDER BY stream_id`,
    );
    const history = await storeHistory(store);
    const expected = new Map<string, number>();
    for (const e of history) expected.set(e.streamId, (expected.get(e.streamId) ?? 0) + 1);
    expect(rows.map((r) => [r.stream_id, r.events])).toEqual(
      [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    expect(await engine.find(rebuild.id)).toMatchObject({ status: 'live', done: history.length });
  });

  it('drops its tables on cancel and refuses a projection that is not registered', async () => {
    const engine = new RebuildEngine(
      db.dataSource,
      store,
      { 'stream-counts': new StreamCounts(store) },
      {
        batchSize: 2,
      },
    );
    const rebuild = await engine.request('stream-counts', randomUUID(), 'admin-test');
    expect(await engine.step(rebuild.id)).toBe('continue');
    expect(await tableExists(db.dataSource, countsTable(rebuild.generation))).toBe(true);
    await engine.requestCancel(rebuild.id);
    expect(await engine.step(rebuild.id)).toBe('cancelled');
    expect(await tableExists(db.dataSource, countsTable(rebuild.generation))).toBe(false);
    expect(() => engine.request('activity', randomUUID(), 'admin-test')).toThrow(/no projection activity/);
  });
});
