import { randomUUID } from 'node:crypto';
import { type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { decodeCursor, JobsProjection, JobsReadModel } from '@feedwerk/read-models';
import { employerBody, jobBody, testMetadata, openTestStore, type TestDatabase } from '@feedwerk/testing';

describe('jobs read model on PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;
  let projection: JobsProjection;
  let model: JobsReadModel;

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    projection = new JobsProjection(db.dataSource, store);
    model = new JobsReadModel(db.dataSource);
  });
  afterAll(() => db.close());

  const append = async (
    streamId: string,
    version: number,
    type: string,
    data: unknown,
  ): Promise<FeedEvent> => {
    const outcome = await store.append({
      streamId,
      expectedVersion: version,
      events: [{ type, schemaVersion: type === 'JobPosted' ? 2 : 1, data }],
      metadata: testMetadata,
      now: new Date(),
      respond: () => null,
    });
    if (outcome.kind !== 'appended') throw new Error('replayed');
    return toFeedEvent(outcome.events[0]!);
  };
  const register = async () => {
    const employerId = randomUUID();
    const event = await append(StreamIds.employer(employerId), 0, 'EmployerRegistered', {
      ...employerBody(),
      employerId,
    });
    return { employerId, event };
  };
  const post = async (employerId: string, overrides: Record<string, unknown> = {}) => {
    const jobId = randomUUID();
    const event = await append(StreamIds.job(jobId), 0, 'JobPosted', {
      ...jobBody(),
      salary: null,
      remote: false,
      source: 'direct',
      ...overrides,
      jobId,
      employerId,
    });
    return { jobId, event };
  };
  /** A job's update (its version 2) on the berlin portal, in `region`. */
  const update = (jobId: string, employerId: string, region: string, changes: Record<string, unknown>) =>
    append(StreamIds.job(jobId), 1, 'JobUpdated', {
      jobId,
      employerId,
      portal: 'berlin',
      region,
      category: 'pflege',
      changes,
    });

  it('shows a posted job, then its update and its closing, with the stream version', async () => {
    const { employerId, event: registered } = await register();
    const { jobId, event: posted } = await post(employerId);
    const updated = await update(jobId, employerId, 'Bayern', {
      title: 'Pflegefachkraft – Nachtdienst 💉',
      location: { city: 'München', region: 'Bayern', postcode: '80331' },
      salary: { min: 3000, max: 4000, currency: 'EUR', period: 'month' },
    });
    await projection.handle([registered, posted, updated]);
    expect(await model.job(jobId)).toMatchObject({
      jobId,
      employerId,
      version: 2,
      title: 'Pflegefachkraft – Nachtdienst 💉',
      description: jobBody().description,
      location: { city: 'München', region: 'Bayern', postcode: '80331' },
      salary: { min: 3000, max: 4000, currency: 'EUR', period: 'month' },
      status: 'open',
    });
    const closed = await append(StreamIds.job(jobId), 2, 'JobClosed', {
      jobId,
      employerId,
      portal: 'berlin',
      reason: 'filled',
    });
    await projection.handle([closed]);
    expect(await model.job(jobId)).toMatchObject({ version: 3, status: 'closed', closeReason: 'filled' });
    expect((await model.list({ employerId }, { limit: 10 })).items).toEqual([]);
    expect(await model.employer(employerId)).toMatchObject({ name: employerBody().name, openJobs: 0 });
  });

  it('changes nothing when the transport redelivers events', async () => {
    const { employerId, event: registered } = await register();
    const { jobId, event: posted } = await post(employerId);
    const updated = await update(jobId, employerId, 'Berlin', { title: 'Zweiter Titel' });
    const first = await projection.handle([registered, posted, updated, posted]);
    expect(first).toMatchObject({ applied: 3, skipped: 1 });
    const snapshot = await model.job(jobId);
    // Replayed twice: the same rows, the old title does not come back.
    expect(await projection.handle([registered, posted, updated])).toMatchObject({ applied: 0, skipped: 3 });
    expect(await projection.handle([posted])).toMatchObject({ applied: 0, skipped: 1 });
    expect(await model.job(jobId)).toEqual(snapshot);
    expect(snapshot?.title).toBe('Zweiter Titel');
  });

  it('resumes after its checkpoint: applies only what it has not applied yet', async () => {
    const { employerId, event: registered } = await register();
    const a = await post(employerId);
    const b = await post(employerId);
    await projection.handle([registered, a.event]);
    const resumed = await projection.handle([registered, a.event, b.event]);
    expect(resumed).toMatchObject({ applied: 1, skipped: 2 });
    expect((await model.list({ employerId }, { limit: 10 })).items.map((j) => j.jobId).sort()).toEqual(
      [a.jobId, b.jobId].sort(),
    );
  });

  it('fills a version gap from the store instead of skipping it', async () => {
    const { employerId, event: registered } = await register();
    const { jobId } = await post(employerId);
    const closed = await append(StreamIds.job(jobId), 1, 'JobClosed', {
      jobId,
      employerId,
      portal: 'berlin',
      reason: 'withdrawn',
    });
    const result = await projection.handle([registered, closed]);
    expect(result).toMatchObject({ applied: 3, gapFilled: 1 });
    expect(await model.job(jobId)).toMatchObject({ version: 2, status: 'closed' });
  });

  it('stamps the refreshed open jobs of the employer', async () => {
    const { employerId, event: registered } = await register();
    const a = await post(employerId);
    const b = await post(employerId);
    const refreshed = await append(StreamIds.employer(employerId), 1, 'JobsRefreshed', {
      refreshId: randomUUID(),
      employerId,
      jobIds: [a.jobId],
      count: 1,
      portals: [{ portal: 'berlin', count: 1 }],
    });
    await projection.handle([registered, a.event, b.event, refreshed]);
    expect((await model.job(a.jobId))?.refreshedAt).toBe(refreshed.time);
    expect((await model.job(b.jobId))?.refreshedAt).toBeNull();
    expect(await model.employer(employerId)).toMatchObject({ openJobs: 2, lastRefreshAt: refreshed.time });
  });

  it('stamps a refreshed job whose own events arrive after the refresh (topics are not ordered)', async () => {
    const { employerId, event: registered } = await register();
    const { jobId, event: posted } = await post(employerId);
    const refreshed = await append(StreamIds.employer(employerId), 1, 'JobsRefreshed', {
      refreshId: randomUUID(),
      employerId,
      jobIds: [jobId],
      count: 1,
      portals: [{ portal: 'berlin', count: 1 }],
    });
    // The employers topic is ahead: the refresh arrives before the job's JobPosted.
    const early = await projection.handle([registered, refreshed]);
    expect(early.gapFilled).toBe(1);
    expect(await model.job(jobId)).toMatchObject({ version: 1, status: 'open', refreshedAt: refreshed.time });
    // The late JobPosted is then a redelivery.
    expect(await projection.handle([posted])).toMatchObject({ applied: 0, skipped: 1 });
    expect((await model.job(jobId))?.refreshedAt).toBe(refreshed.time);
  });

  it('filters by region, category and text, and pages with a stable cursor', async () => {
    const { employerId, event: registered } = await register();
    const posted: FeedEvent[] = [registered];
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const { jobId, event } = await post(employerId, {
        title: i === 3 ? 'Gärtner 100% remote_ok' : `Stelle ${i}`,
        category: i % 2 === 0 ? 'garten' : 'pflege',
        location: { city: 'Hamburg', region: i < 5 ? 'Hamburg' : 'Bremen', postcode: '20095' },
      });
      ids.push(jobId);
      posted.push(event);
    }
    await projection.handle(posted);

    const pages: string[][] = [];
    let after;
    for (;;) {
      const page = await model.list({ employerId }, { limit: 3, ...(after ? { after } : {}) });
      pages.push(page.items.map((j) => j.jobId));
      if (!page.nextCursor) break;
      after = decodeCursor(page.nextCursor) ?? undefined;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual([...ids].sort());

    expect((await model.list({ employerId, region: 'Bremen' }, { limit: 10 })).items).toHaveLength(2);
    expect((await model.list({ employerId, category: 'garten' }, { limit: 10 })).items).toHaveLength(4);
    // LIKE wildcards in the text are taken literally.
    expect(
      (await model.list({ employerId, text: '100% remote_' }, { limit: 10 })).items.map((j) => j.jobId),
    ).toEqual([ids[3]]);
    expect((await model.list({ employerId, text: '%' }, { limit: 10 })).items).toHaveLength(1);
    expect((await model.list({ employerId, text: 'gärtner' }, { limit: 10 })).items).toHaveLength(1);
  });

  it('refuses cursors it did not issue', () => {
    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(Buffer.from('["x","y"]').toString('base64url'))).toBeNull();
  });
});
