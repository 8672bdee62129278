import { randomUUID } from 'node:crypto';
import { type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import { appendJobPosted, jobBody, openTestDatabase, testMetadata } from '@feedwerk/testing';

describe('activity projection on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projection: ActivityProjection;
  let feed: ActivityFeed;

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    projection = new ActivityProjection(db.dataSource, store);
    feed = new ActivityFeed(db.dataSource);
  });
  afterAll(() => db.close());

  const postJob = async (portal = 'berlin'): Promise<FeedEvent> =>
    toFeedEvent(await appendJobPosted(store, { portal }));

  it('keeps one ticker item when the transport redelivers an event', async () => {
    const e = await postJob('potsdam');
    const first = await projection.handle([e, e]);
    const again = await projection.handle([e]);
    expect(first.items).toHaveLength(1);
    expect(first.skipped).toBe(1);
    expect(again.items).toHaveLength(0);
    expect((await feed.latest('potsdam', 10)).filter((i) => i.id === e.id)).toHaveLength(1);
  });

  it('resumes after its checkpoint: applies only what it has not applied yet', async () => {
    const a = await postJob();
    const b = await postJob();
    await projection.handle([a]);
    const resumed = await projection.handle([a, b]);
    expect(resumed.items.map((i) => i.id)).toEqual([b.id]);
  });

  it('gives items gapless feed positions in the order they were applied', async () => {
    const events = await Promise.all(Array.from({ length: 5 }, () => postJob()));
    const { head: before } = await feed.state();
    const result = await projection.handle(events);
    expect(result.items.map((i) => i.position)).toEqual([1, 2, 3, 4, 5].map((n) => before + n));
    expect((await feed.state()).head).toBe(before + 5);
  });

  it('keeps positions gapless when projector instances apply batches concurrently', async () => {
    const events = await Promise.all(Array.from({ length: 12 }, () => postJob('cottbus')));
    const { head: before } = await feed.state();
    await Promise.all([0, 1, 2, 3].map((i) => projection.handle(events.slice(i * 3, i * 3 + 3))));
    const items = await feed.between(before, before + 100);
    expect(items.map((i) => i.position)).toEqual(Array.from({ length: 12 }, (_, i) => before + i + 1));
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
        { type: 'JobPosted', schemaVersion: 1, data: { ...data, source: 'import' } },
      ],
      metadata: testMetadata,
      now: new Date(),
      respond: () => null,
    });
    const [v1, v2] = (await store.readStream(stream)).map(toFeedEvent);
    const gapped = await projection.handle([v2!]);
    expect(gapped.gapFilled).toBe(1);
    expect(gapped.items.map((i) => [i.id, i.kind])).toEqual([
      [v1!.id, 'job.posted'],
      [v2!.id, 'job.imported'],
    ]);
    const late = await projection.handle([v1!]);
    expect(late).toMatchObject({ items: [], skipped: 1 });
  });

  it('shows site-wide items on every portal and portal items only on theirs', async () => {
    const hamburg = await postJob('hamburg');
    await projection.handle([hamburg]);
    expect((await feed.latest('hamburg', 50)).map((i) => i.id)).toContain(hamburg.id);
    expect((await feed.latest('muenchen', 50)).map((i) => i.id)).not.toContain(hamburg.id);
  });
});
