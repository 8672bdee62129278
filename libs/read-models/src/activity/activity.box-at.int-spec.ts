import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig, openDatabase, type OpenedDatabase } from '@feedwerk/platform';
import {
  ActivityHistory,
  ActivitySnapshotJob,
  foldActivity,
  RebuildEngine,
  readModelProjections,
} from '@feedwerk/read-models';
import {
  cvUploadedData,
  employerBody,
  jobBody,
  openTestDatabase,
  sharedSchema,
  storeHistory,
  testMetadata,
} from '@feedwerk/testing';
import pino from 'pino';

const OPTIONS = { burstWindowMs: 60_000 };
const PORTALS = ['berlin', 'potsdam'];
const START_AT = Date.parse('2026-03-01T08:00:00.000Z');

/**
 * A small portal history with every kind of event the box shows: postings in and out of bursts on
 * two portals, updates, closings, site-wide sign-ups, CV uploads and an erasure. Event i happens
 * 20 s after event i - 1, so bursts form and break; each event is its own transaction.
 */
class History {
  private i = 0;
  readonly jobs: { jobId: string; employerId: string; portal: string; version: number }[] = [];
  readonly cvs = new Map<string, string[]>();

  constructor(private readonly store: EventStore) {}

  /** The time of the last event appended. */
  get last(): Date {
    return new Date(START_AT + (this.i - 1) * 20_000);
  }

  async append(streamId: string, version: number, type: string, data: unknown): Promise<void> {
    const now = new Date(START_AT + this.i * 20_000);
    this.i += 1;
    await this.store.append({
      streamId,
      expectedVersion: version === 1 ? 'no_stream' : version - 1,
      events: [{ type, schemaVersion: 1, data }],
      metadata: testMetadata,
      now,
      respond: () => null,
    });
  }

  async post(portal: string): Promise<void> {
    const job = { jobId: randomUUID(), employerId: randomUUID(), portal, version: 1 };
    this.jobs.push(job);
    await this.append(`job:${job.jobId}`, 1, 'JobPosted', {
      ...jobBody({ portal }),
      jobId: job.jobId,
      employerId: job.employerId,
      source: this.i % 3 === 0 ? 'import' : 'direct',
    });
  }

  /** The next event of an earlier job: an update, or its closing. */
  async change(index: number, type: 'JobUpdated' | 'JobClosed'): Promise<void> {
    const { jobId, employerId, portal, version } = this.jobs[index]!;
    this.jobs[index] = { jobId, employerId, portal, version: version + 1 };
    const what =
      type === 'JobUpdated'
        ? { region: 'Berlin', category: 'pflege', changes: { title: 'Pflegefachkraft (w/m/d), neu' } }
        : { reason: 'filled' };
    await this.append(`job:${jobId}`, version + 1, type, { jobId, employerId, portal, ...what });
  }

  async signUp(): Promise<void> {
    const employerId = randomUUID();
    await this.append(`employer:${employerId}`, 1, 'EmployerRegistered', { ...employerBody(), employerId });
  }

  async uploadCv(candidateId: string, portal: string): Promise<void> {
    const cvs = this.cvs.get(candidateId) ?? [];
    const cvId = randomUUID();
    this.cvs.set(candidateId, [...cvs, cvId]);
    await this.append(
      `candidate:${candidateId}`,
      cvs.length + 1,
      'CvUploaded',
      cvUploadedData(candidateId, cvId, portal),
    );
  }

  async erase(candidateId: string): Promise<void> {
    const version = (this.cvs.get(candidateId)?.length ?? 0) + 1;
    await this.append(`candidate:${candidateId}`, version, 'CandidateErased', {
      candidateId,
      receiptId: randomUUID(),
      cvFilesDeleted: 1,
      keysDeleted: 1,
    });
  }

  /** `rounds` rounds of a mixed week: each about 9 events. */
  async mixed(rounds: number, candidates: readonly string[]): Promise<void> {
    for (let r = 0; r < rounds; r += 1) {
      const portal = PORTALS[r % 2]!;
      await this.post(portal);
      await this.post(portal);
      await this.uploadCv(candidates[r % candidates.length]!, portal);
      if (r % 4 === 1) await this.signUp();
      await this.post(PORTALS[(r + 1) % 2]!);
      if (this.jobs.length > 3) await this.change(this.jobs.length - 3, 'JobUpdated');
      if (r % 2 === 0 && this.jobs.length > 4) await this.change(this.jobs.length - 4, 'JobClosed');
      await this.uploadCv(randomUUID(), PORTALS[(r + 1) % 2]!);
    }
  }
}

type Setup = { name: string; open: () => Promise<OpenedDatabase & { cleanup?: () => Promise<void> }> };

const setups: Setup[] = [
  { name: 'PostgreSQL', open: () => openTestDatabase() },
  {
    name: 'embedded PGlite',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'feedwerk-box-at-'));
      const config = loadConfig({ DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' });
      const db = await openDatabase(config, pino({ level: 'silent' }), 'feedwerk-test', sharedSchema);
      return { ...db, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];

describe.each(setups)('the box at a time from snapshots ($name)', ({ open }) => {
  let db: OpenedDatabase & { cleanup?: () => Promise<void> };
  let store: EventStore;
  let history: History;
  const erased = randomUUID();
  const kept = randomUUID();

  beforeAll(async () => {
    db = await open();
    store = new EventStore(db.dataSource);
    history = new History(store);
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await db.cleanup?.();
  });

  /** The box from position 0: every event that happened by `at`, folded in commit order. */
  function reference(history: readonly FeedEvent[], at: Date, portal: string, limit: number) {
    const events = history.filter((e) => e.time <= at.toISOString());
    const { model } = foldActivity(events, OPTIONS);
    const items = [...model.items.values()]
      .filter((item) => !item.retracted && (item.portal === null || item.portal === portal))
      .sort((a, b) => b.order - a.order)
      .slice(0, limit);
    return { items, position: model.position };
  }

  /** Every event's time, a time between two, and one after all: before, at, between and after snapshots. */
  function times(history: readonly FeedEvent[]): Date[] {
    const all = history.map((e) => Date.parse(e.time));
    return [all[0]! - 1_000, ...all.flatMap((t) => [t, t + 10_000]), all.at(-1)! + 86_400_000].map(
      (t) => new Date(t),
    );
  }

  async function expectExact(boxes: ActivityHistory): Promise<Set<number | null>> {
    const usedSnapshots = new Set<number | null>();
    const history = await storeHistory(store);
    for (const [i, at] of times(history).entries()) {
      for (const portal of PORTALS) {
        // The whole box, and now and then only its top (items beyond it must not leak in).
        for (const limit of i % 3 === 0 ? [3, 50] : [50]) {
          const box = await boxes.boxAt({ at, portal, limit });
          usedSnapshots.add(box.snapshot?.seq ?? null);
          const expected = reference(history, at, portal, limit);
          expect({ at, portal, limit, items: box.items, position: box.position }).toEqual({
            at,
            portal,
            limit,
            ...expected,
          });
        }
      }
    }
    return usedSnapshots;
  }

  it('equals a fold from position 0 at every time, before, at, between and after the snapshots', async () => {
    const job = new ActivitySnapshotJob(db.dataSource, store, { ...OPTIONS, every: 10, batchSize: 4 });
    const boxes = new ActivityHistory(db.dataSource, store, OPTIONS);
    await history.mixed(6, [erased, kept]);
    expect(await job.run()).toBeGreaterThanOrEqual(3);
    // Events after the newest snapshot: the box folds them from it.
    await history.mixed(1, [kept]);
    const used = await expectExact(boxes);
    expect(used.has(null)).toBe(true);
    expect([...used].filter((seq) => seq !== null).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('takes an erased candidate out of every snapshot, and the box stays exact across the erasure', async () => {
    const job = new ActivitySnapshotJob(db.dataSource, store, { ...OPTIONS, every: 10, batchSize: 4 });
    const cvs = history.cvs.get(erased)!;
    const mentions = async () => {
      const rows: { n: string }[] = await db.dataSource.query(
        `SELECT count(*) AS n FROM activity_snapshot_rows
          WHERE subject = $1 OR key = ANY($2::text[]) OR key LIKE $3 OR subject LIKE $3`,
        [`candidate:${erased}`, cvs.map((id) => `cv:${id}`), `%${erased}%`],
      );
      return Number(rows[0]!.n);
    };
    await job.run();
    expect(await mentions()).toBeGreaterThan(0);
    await history.erase(erased);
    await history.mixed(3, [kept]);
    await job.run();
    expect(await mentions()).toBe(0);
    await expectExact(new ActivityHistory(db.dataSource, store, OPTIONS));
  }, 120_000);

  it('a rebuild takes its own snapshots, and the box after the switch is still exact', async () => {
    const engine = new RebuildEngine(
      db.dataSource,
      store,
      readModelProjections(db.dataSource, store, { ...OPTIONS, snapshotEvery: 12 }),
      { batchSize: 5 },
    );
    const rebuild = await engine.request('activity', randomUUID(), 'admin-test');
    expect(await engine.run(rebuild.id)).toBe('live');
    const live: { generation: number }[] = await db.dataSource.query(
      `SELECT generation FROM projection_live WHERE projection = 'activity'`,
    );
    const generation = live[0]!.generation;
    expect(generation).toBeGreaterThan(1);
    const headers: { n: string }[] = await db.dataSource.query(
      `SELECT count(*) AS n FROM projection_snapshots WHERE projection = 'activity' AND generation = $1`,
      [generation],
    );
    expect(Number(headers[0]!.n)).toBeGreaterThanOrEqual(3);
    const used = await expectExact(new ActivityHistory(db.dataSource, store, OPTIONS));
    expect([...used].filter((seq) => seq !== null).length).toBeGreaterThanOrEqual(3);
    // The snapshot job goes on from the rebuild's newest snapshot and drops the retired generation's.
    await history.mixed(2, [kept]);
    await new ActivitySnapshotJob(db.dataSource, store, { ...OPTIONS, every: 10, batchSize: 4 }).run();
    const generations: { generation: number }[] = await db.dataSource.query(
      `SELECT DISTINCT generation FROM projection_snapshots`,
    );
    expect(generations).toEqual([{ generation }]);
    await expectExact(new ActivityHistory(db.dataSource, store, OPTIONS));
  }, 180_000);
});
