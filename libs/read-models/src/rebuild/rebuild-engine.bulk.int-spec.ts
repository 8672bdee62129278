import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, type StoredEvent } from '@feedwerk/event-store';
import { loadConfig, openDatabase, type OpenedDatabase } from '@feedwerk/platform';
import { activityTables, foldActivity } from '@feedwerk/read-models';
import {
  appendJobPosted,
  openTestDatabase,
  rebuildEngine,
  sharedSchema,
  storeHistory,
  appendJobClosed,
} from '@feedwerk/testing';
import pino from 'pino';

const OPTIONS = { burstWindowMs: 60_000 };

/**
 * The rebuild's bulk writes on both databases it runs on: COPY on a PostgreSQL server, the JSON and
 * array statements on the embedded PGlite. Postings are closed several batches (and checkpoints)
 * later, so member rows written by one checkpoint are deleted by a later one, and members created
 * and closed between two checkpoints are never written: the tables must equal a from-scratch fold.
 */
const databases: [string, () => Promise<{ db: OpenedDatabase; close: () => Promise<void> }>][] = [
  [
    'a PostgreSQL server (COPY)',
    async () => {
      const db = await openTestDatabase();
      return { db, close: () => db.close() };
    },
  ],
  [
    'the embedded PGlite (multi-row statements)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'feedwerk-rebuild-'));
      const db = await openDatabase(
        loadConfig({ DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' }),
        pino({ level: 'silent' }),
        'feedwerk-admin',
        sharedSchema,
      );
      return {
        db,
        close: async () => {
          await db.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

const close = async (store: EventStore, posted: StoredEvent): Promise<void> => {
  await appendJobClosed(store, posted);
};

describe.each(databases)('rebuild bulk writes on %s', (_, open) => {
  let opened: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    opened = await open();
  }, 120_000);
  afterAll(() => opened.close());

  /** Every stream's version under a generation's key, and what the history says it must be. */
  async function versionsOf(store: EventStore, generation: number) {
    const rows: { stream_id: string; version: number }[] = await opened.db.dataSource.query(
      `SELECT stream_id, version FROM projection_streams WHERE projection = $1 ORDER BY stream_id`,
      [activityTables(generation).name],
    );
    const last = new Map<string, number>();
    for (const event of await storeHistory(store)) last.set(event.streamId, event.streamPosition);
    const expected = [...last]
      .map(([stream_id, version]) => ({ stream_id, version }))
      .sort((a, b) => (a.stream_id < b.stream_id ? -1 : a.stream_id > b.stream_id ? 1 : 0));
    return { rows, expected };
  }

  it('writes the items and members a from-scratch fold has, with members closed across checkpoints', async () => {
    const store = new EventStore(opened.db.dataSource);
    const posted: StoredEvent[] = [];
    for (let i = 0; i < 40; i += 1) {
      posted.push(await appendJobPosted(store, { portal: ['berlin', 'hamburg'][i % 2] }));
      // Every third job is closed 5 postings later (another batch of 3, often another checkpoint of 9);
      // every seventh one right away (created and gone between two checkpoints).
      if (i >= 5 && (i - 5) % 3 === 0) await close(store, posted[i - 5]!);
      if (i % 7 === 6 && i % 3 !== 0) await close(store, posted[i]!);
    }
    const engine = rebuildEngine(opened.db.dataSource, store, {
      ...OPTIONS,
      batchSize: 3,
      checkpointEvery: 9,
    });
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    expect(await engine.run(rebuild.id)).toBe('live');

    const { model } = foldActivity(await storeHistory(store), OPTIONS);
    const t = activityTables(rebuild.generation);
    const items: { id: string; kind: string; count: number; retracted: boolean; position: string }[] =
      await opened.db.dataSource.query(
        `SELECT id, kind, count, retracted, position FROM ${t.items} ORDER BY id`,
      );
    expect(items.map((i) => ({ ...i, position: Number(i.position) }))).toEqual(
      [...model.items.values()]
        .map((i) => ({
          id: i.id,
          kind: i.kind,
          count: i.count,
          retracted: i.retracted,
          position: i.position,
        }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    );
    const members: { member: string; item_id: string; subject: string }[] = await opened.db.dataSource.query(
      `SELECT member, item_id, subject FROM ${t.members} ORDER BY member`,
    );
    expect(members).toEqual(
      [...model.members.entries()]
        .map(([member, m]) => ({ member, item_id: m.itemId, subject: m.subject }))
        .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0)),
    );
    // Every stream's version under the generation's key (the live projector skips what it folded),
    // including streams touched again after the checkpoint that first wrote them (the closes).
    const versions = await versionsOf(store, rebuild.generation);
    expect(versions.rows).toEqual(versions.expected);
    // Closed jobs are gone from the members, open ones are there.
    expect(members.length).toBeGreaterThan(0);
    expect(members.length).toBeLessThan(posted.length);
  }, 120_000);

  it('a builder that resumes another one writes the versions with its checkpoints too', async () => {
    const store = new EventStore(opened.db.dataSource);
    const posted: StoredEvent[] = [];
    for (let i = 0; i < 12; i += 1) posted.push(await appendJobPosted(store, { portal: 'koeln' }));
    for (const p of posted.slice(0, 6)) await close(store, p);
    const options = { ...OPTIONS, batchSize: 3, checkpointEvery: 6 };
    const first = rebuildEngine(opened.db.dataSource, store, options);
    const rebuild = await first.request('activity', randomUUID(), 'admin-test');
    // Two plain steps: the first commits a checkpoint (its versions written directly), the second
    // folds in memory; then this builder stops and its lease is made to lapse.
    expect(await first.step(rebuild.id)).toBe('continue');
    expect(await first.step(rebuild.id)).toBe('continue');
    await opened.db.dataSource.query(
      `UPDATE projection_rebuilds SET heartbeat_at = now() - interval '1 hour'`,
    );
    const second = rebuildEngine(opened.db.dataSource, store, options);
    expect(await second.run(rebuild.id)).toBe('live');
    const versions = await versionsOf(store, rebuild.generation);
    expect(versions.rows).toEqual(versions.expected);
  }, 120_000);
});
