import { randomUUID } from 'node:crypto';
import { type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ACTIVITY, ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import { appendJobPosted, cvUploadedData, jobBody, openTestStore, testMetadata } from '@feedwerk/testing';
import { type TestDatabase, uniqueName } from '@feedwerk/testing';

describe('activity projection on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;
  let projection: ActivityProjection;
  let feed: ActivityFeed;

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    // Postings spread over the suite's runtime must not aggregate unless a test means them to.
    projection = new ActivityProjection(db.dataSource, store, { burstWindowMs: 0 });
    feed = new ActivityFeed(db.dataSource);
  });
  afterAll(() => db.close());

  const box = async (portal: string, limit = 50) => {
    const opening = await feed.open({ portal }, limit, undefined);
    if (opening.mode !== 'snapshot') throw new Error('expected a snapshot');
    return opening.items;
  };

  const append = async (streamId: string, version: number, type: string, data: unknown) => {
    const outcome = await store.append({
      streamId,
      expectedVersion: version === 1 ? 'no_stream' : version - 1,
      events: [{ type, schemaVersion: 1, data }],
      metadata: testMetadata,
      now: new Date(),
      respond: () => null,
    });
    if (outcome.kind !== 'appended') throw new Error('expected an append');
    return toFeedEvent(outcome.events[0]!);
  };

  const close = (posted: FeedEvent) => {
    if (posted.type !== 'JobPosted') throw new Error('not a posting');
    const { jobId, employerId, portal } = posted.data;
    return append(posted.streamId, 2, 'JobClosed', { jobId, employerId, portal, reason: 'filled' });
  };

  const appendCv = (candidateId: string, portal: string) =>
    append(`candidate:${candidateId}`, 1, 'CvUploaded', cvUploadedData(candidateId, randomUUID(), portal));

  const postJob = async (portal = 'berlin'): Promise<FeedEvent> =>
    toFeedEvent(await appendJobPosted(store, { portal }));

  it('keeps one ticker item when the transport redelivers an event', async () => {
    const e = await postJob('potsdam');
    const first = await projection.handle([e, e]);
    const again = await projection.handle([e]);
    expect(first.changes).toHaveLength(1);
    expect(first.skipped).toBe(1);
    expect(again.changes).toHaveLength(0);
    expect((await box('potsdam')).filter((i) => i.id === e.id)).toHaveLength(1);
  });

  it('resumes after its checkpoint: applies only what it has not applied yet', async () => {
    const a = await postJob();
    const b = await postJob();
    await projection.handle([a]);
    const resumed = await projection.handle([a, b]);
    expect(resumed.changes.map((c) => c.item.id)).toEqual([b.id]);
  });

  it('gives items gapless feed positions in the order they were applied', async () => {
    const events = await Promise.all(Array.from({ length: 5 }, () => postJob()));
    const { head: before } = await feed.state();
    const result = await projection.handle(events);
    expect(result.changes.map((c) => c.position)).toEqual([1, 2, 3, 4, 5].map((n) => before + n));
    expect((await feed.state()).head).toBe(before + 5);
  });

  it('keeps positions gapless when projector instances apply batches concurrently', async () => {
    const events = await Promise.all(Array.from({ length: 12 }, () => postJob('cottbus')));
    const { head: before } = await feed.state();
    await Promise.all([0, 1, 2, 3].map((i) => projection.handle(events.slice(i * 3, i * 3 + 3))));
    const changes = await feed.between(before, before + 100);
    expect(changes.map((c) => c.position)).toEqual(Array.from({ length: 12 }, (_, i) => before + i + 1));
  });

  it('fills a version gap from the store instead of skipping it', async () => {
    // Two versions of one stream (the store does not judge business rules, only versions).
    const jobId = randomUUID();
    const stream = StreamIds.job(jobId);
    const data = { ...jobBody(), jobId, employerId: randomUUID(), source: 'direct' };
    await store.append({
      streamId: stream,
      expectedVersion: 'no_stream',
      events: [
        { type: 'JobPosted', schemaVersion: 1, data },
        {
          type: 'JobClosed',
          schemaVersion: 1,
          data: { jobId, employerId: data.employerId, portal: data.portal, reason: 'filled' },
        },
      ],
      metadata: testMetadata,
      now: new Date(),
      respond: () => null,
    });
    const [v1, v2] = (await store.readStream(stream)).map(toFeedEvent);
    const gapped = await projection.handle([v2!]);
    expect(gapped.gapFilled).toBe(1);
    expect(gapped.changes.map((c) => [c.op, c.item.id])).toEqual([
      ['upsert', v1!.id],
      ['retract', v1!.id],
    ]);
    const late = await projection.handle([v1!]);
    expect(late).toMatchObject({ changes: [], skipped: 1 });
  });

  it('shows site-wide items on every portal and portal items only on theirs', async () => {
    const hamburg = await postJob('hamburg');
    await projection.handle([hamburg]);
    expect((await box('hamburg')).map((i) => i.id)).toContain(hamburg.id);
    expect((await box('muenchen')).map((i) => i.id)).not.toContain(hamburg.id);
  });

  describe('aggregation and retraction kept in PostgreSQL across batches', () => {
    let bursty: ActivityProjection;
    beforeAll(() => {
      bursty = new ActivityProjection(db.dataSource, store, { burstWindowMs: 3_600_000 });
    });

    it('grows one burst item in place over several batches and withdraws it job by job', async () => {
      const portal = uniqueName('burst-');
      const [a, b, c] = [await postJob(portal), await postJob(portal), await postJob(portal)];
      const first = await bursty.handle([a]);
      const rest = await bursty.handle([b, c]);
      const id = first.changes[0]!.item.id;
      expect(rest.changes.map((x) => [x.item.id, x.item.kind, x.item.count])).toEqual([
        [id, 'jobs.burst', 2],
        [id, 'jobs.burst', 3],
      ]);
      expect(await box(portal)).toMatchObject([
        { id, kind: 'jobs.burst', count: 3, order: first.changes[0]!.position },
      ]);

      await bursty.handle([await close(a)]);
      expect(await box(portal)).toMatchObject([{ id, count: 2 }]);
      const closed = await bursty.handle([await close(b), await close(c)]);
      expect(closed.changes.map((x) => [x.op, x.item.count])).toEqual([
        ['upsert', 1],
        ['retract', 1],
      ]);
      expect(await box(portal)).toEqual([]);
      const index: unknown[] = await db.dataSource.query(
        `SELECT * FROM ${ACTIVITY.members} WHERE item_id = $1`,
        [id],
      );
      expect(index).toEqual([]);
    });

    it('forgets an erased candidate: their upload leaves the box and no index row names them', async () => {
      const portal = uniqueName('cv-');
      const candidateId = randomUUID();
      const upload = await appendCv(candidateId, portal);
      const other = await appendCv(randomUUID(), portal);
      await bursty.handle([upload, other]);
      expect(await box(portal)).toMatchObject([{ kind: 'cv.uploaded', count: 2 }]);
      const erased = await append(`candidate:${candidateId}`, 2, 'CandidateErased', {
        candidateId,
        receiptId: randomUUID(),
        cvFilesDeleted: 1,
        keysDeleted: 1,
      });
      await bursty.handle([erased]);
      expect(await box(portal)).toMatchObject([{ kind: 'cv.uploaded', count: 1 }]);
      const rows: { n: string }[] = await db.dataSource.query(
        `SELECT count(*) AS n FROM ${ACTIVITY.members} WHERE subject = $1 OR member LIKE $2`,
        [`candidate:${candidateId}`, `%${candidateId}%`],
      );
      expect(Number(rows[0]!.n)).toBe(0);
      const stored = JSON.stringify(
        await db.dataSource.query(
          `SELECT * FROM ${ACTIVITY.changes} c JOIN ${ACTIVITY.items} i ON i.id = c.item_id`,
        ),
      );
      expect(stored).not.toContain(candidateId);
      expect(stored).not.toContain('Mustermann');
    });
  });

  describe('opening a subscription', () => {
    it('serves exactly the changes after a servable position, and a snapshot otherwise', async () => {
      const portal = uniqueName('open-');
      const a = await postJob(portal);
      await projection.handle([a]);
      const { head: since } = await feed.state();
      const b = await postJob(portal);
      const other = await postJob(uniqueName('elsewhere-'));
      await projection.handle([b, other]);
      await projection.handle([await close(a)]);
      const { head } = await feed.state();

      const resumed = await feed.open({ portal }, 8, since);
      expect(resumed.mode).toBe('changes');
      if (resumed.mode !== 'changes') return;
      expect(resumed.head).toBe(head);
      expect(resumed.changes.map((c) => c.position)).toEqual([since + 1, since + 2, since + 3]);
      expect(resumed.changes.map((c) => c.op)).toEqual(['upsert', 'upsert', 'retract']);

      for (const unservable of [head + 1, undefined]) {
        const opening = await feed.open({ portal }, 8, unservable);
        expect(opening).toMatchObject({ mode: 'snapshot', head });
      }
      expect(await feed.open({ portal }, 8, 0, 2)).toMatchObject({ mode: 'snapshot' });
      const snapshot = await feed.open({ portal }, 8, undefined);
      expect(snapshot.mode === 'snapshot' && snapshot.items.map((i) => i.id)).toEqual([b.id]);
    });
  });
});
