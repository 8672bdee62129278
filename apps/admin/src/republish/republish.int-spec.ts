import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminRoutes, ReplayHeaders, ReplayTopics, type RepublishView, StreamIds } from '@feedwerk/contracts';
import { EventStore, type StoredEvent } from '@feedwerk/event-store';
import { startApp, type StartedApp } from '@feedwerk/platform';
import {
  appendEmployerRegistered,
  appendJobPosted,
  appendManyJobsPosted,
  TEST_ADMIN_TOKEN as ADMIN_TOKEN,
  testAppEnv,
  testKafkaTransport,
  testMetadata,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
  adminCaller,
} from '@feedwerk/testing';
import { type IncomingMessage, type Subscription } from '@feedwerk/transport';
import { AdminModule } from '../admin.module';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(join(__dirname, '../../../../libs/contracts/fixtures/events', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;

describe('republish: a range of history to the replay topics on real Kafka and PostgreSQL', () => {
  let db: TestDatabase, store: EventStore;
  let admin: StartedApp;
  const transport = testKafkaTransport('republish-test');
  const prefix = transport.topicPrefix;
  const received: IncomingMessage[] = [];
  let subscription: Subscription;

  const startAdmin = () =>
    startApp(
      {
        app: 'admin',
        requires: ['postgres', 'kafka'],
        env: testAppEnv(db.url, { TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '2' }),
      },
      AdminModule,
    );
  const call = adminCaller(() => admin.url);
  const view = async (id: string) =>
    (await call('GET', AdminRoutes.republish.replace(':republishId', id))).body as unknown as RepublishView;
  const ofRun = (id: string) => received.filter((m) => m.headers[ReplayHeaders.id] === id);
  const auditOf = async (id: string) =>
    (await store.readStream(StreamIds.adminAction(id))).map((e) => (e.data as { action: string }).action);
  const head = async () =>
    Number((await db.dataSource.query<[{ p: string }]>(`SELECT max(global_position) AS p FROM events`))[0].p);
  const raw = (streamId: string, type: string, data: unknown): Promise<StoredEvent> =>
    store
      .append({
        streamId,
        expectedVersion: 'any',
        events: [{ type, schemaVersion: 1, data }],
        metadata: testMetadata,
        now: new Date(),
        respond: (appended) => appended[0]!,
      })
      .then((outcome) => outcome.result);

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    await transport.ensureTopics(
      Object.values(ReplayTopics).map((topic) => ({ topic, partitions: 2, replicationFactor: 1 })),
    );
    subscription = await transport.subscribe({
      groupId: uniqueName('analytics.backfill-'),
      topics: Object.values(ReplayTopics),
      fromBeginning: true,
      handle: async (batch) => {
        received.push(...batch);
      },
    });
    admin = await startAdmin();
  });
  afterAll(async () => {
    await admin.app.close();
    await subscription.stop();
    await transport.close();
    await db.close();
  });

  it('replays the public records of a range, in order per key, with the replay headers, at the rate asked', async () => {
    const first = (await head().catch(() => 0)) + 1;
    const employer = await appendEmployerRegistered(store);
    const job = await appendJobPosted(store);
    const jobId = (job.data as { jobId: string }).jobId;
    const employerId = (job.data as { employerId: string }).employerId;
    const update = await raw(job.streamId, 'JobUpdated', {
      jobId,
      employerId,
      portal: 'berlin',
      region: 'Berlin',
      category: 'it',
      changes: { title: 'Neuer Titel der Anzeige' },
    });
    const close = await raw(job.streamId, 'JobClosed', {
      jobId,
      employerId,
      portal: 'berlin',
      reason: 'filled',
    });
    // Two candidates upload; one of them is erased later: only the other one's upload is replayed.
    const [stays, leaves] = [randomUUID(), randomUUID()];
    const kept = await raw(StreamIds.candidate(stays), 'CvUploaded', {
      ...fixture('CvUploaded.v1'),
      candidateId: stays,
    });
    await raw(StreamIds.candidate(leaves), 'CvUploaded', {
      ...fixture('CvUploaded.v1'),
      candidateId: leaves,
    });
    await raw(StreamIds.candidate(leaves), 'CandidateErased', {
      ...fixture('CandidateErased.v1'),
      candidateId: leaves,
    });
    const bulk = await appendManyJobsPosted(store, 80);
    const last = await head();

    const startedAt = Date.now();
    const started = await call('POST', AdminRoutes.republishes, {
      fromPosition: first,
      toPosition: last,
      ratePerSecond: 20,
    });
    expect(started.status).toBe(202);
    const run = started.body as unknown as RepublishView;
    expect(run).toMatchObject({
      status: 'running',
      fromPosition: first,
      toPosition: last,
      ratePerSecond: 20,
    });
    const expected = [employer, job, update, close, kept, ...bulk].map((e) => e.id);
    expect(run.progress.total).toBe(expected.length);

    await waitFor(
      'every record of the range on the replay topics',
      () => ofRun(run.id).length >= expected.length,
      {
        timeoutMs: 60_000,
      },
    );
    const done = await waitFor('the run to finish', async () => {
      const current = await view(run.id);
      return current.status === 'done' ? current : undefined;
    });
    expect(done.progress).toMatchObject({ done: expected.length, total: expected.length, etaSeconds: 0 });

    const messages = ofRun(run.id);
    expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(new Set(expected));
    expect(messages.length).toBe(expected.length);
    for (const message of messages) {
      expect(message.headers).toMatchObject({
        [ReplayHeaders.from]: String(first),
        [ReplayHeaders.to]: String(last),
        ce_specversion: '1.0',
        ce_schemaversion: '1',
      });
    }
    // The job's three events keep their stream order on the replay topic.
    expect(messages.filter((m) => m.key === job.streamId).map((m) => m.headers.ce_type)).toEqual([
      'JobPosted',
      'JobUpdated',
      'JobClosed',
    ]);
    const topics = new Set(messages.map((m) => m.topic));
    expect(topics).toEqual(new Set([ReplayTopics.jobs, ReplayTopics.employers, ReplayTopics.candidates]));
    const upload = messages.find((m) => m.headers.ce_type === 'CvUploaded')!;
    expect(upload.key).toBe('portal:berlin');
    expect(upload.value!.toString()).not.toContain(stays);

    // Rate, by counting: in the time the run took (measured generously, from before the request to
    // after it was seen done) at most a full bucket plus `rate` per second can have gone out. A slow
    // machine only makes the run take longer, so this never fails for noise; without the bucket the
    // run would finish far faster than its count allows.
    const elapsedMs = Date.now() - startedAt;
    expect(expected.length).toBeLessThanOrEqual((20 * elapsedMs) / 1000 + 2 * 20);

    expect(await auditOf(run.id)).toEqual(['history.republish.requested']);
  });

  it('cancels between batches: a cancelled run publishes nothing more', async () => {
    const from = (await head()) + 1;
    await appendManyJobsPosted(store, 40);
    const run = (
      await call('POST', AdminRoutes.republishes, {
        fromPosition: from,
        toPosition: await head(),
        ratePerSecond: 5,
      })
    ).body as unknown as RepublishView;
    await waitFor('the first batches', () => ofRun(run.id).length >= 5, { timeoutMs: 30_000 });

    const cancelled = await call('DELETE', AdminRoutes.republish.replace(':republishId', run.id));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: run.id, status: 'cancelled' });
    const doneAtCancel = (cancelled.body as unknown as RepublishView).progress.done;
    expect(await auditOf(run.id)).toEqual(['history.republish.requested']);
    const cancelAudit = await db.dataSource.query(
      `SELECT data FROM events WHERE type = 'AdminActionRecorded' AND data->>'action' = 'history.republish.cancelled' AND data->>'target' = $1`,
      [run.id],
    );
    expect(cancelAudit).toHaveLength(1);

    // A later run completes: the worker has moved on, so whatever the cancelled run sent is all it sends.
    const next = (
      await call('POST', AdminRoutes.republishes, {
        fromPosition: from,
        toPosition: from,
        ratePerSecond: 100,
      })
    ).body as unknown as RepublishView;
    await waitFor('the next run', async () => (await view(next.id)).status === 'done');
    // At most the batch in flight when the cancel came (5 at this rate) got out after it.
    expect(ofRun(run.id).length).toBeLessThanOrEqual(doneAtCancel + 5);
    expect(ofRun(run.id).length).toBeLessThan(40);
    expect((await view(run.id)).status).toBe('cancelled');
    expect((await call('DELETE', AdminRoutes.republish.replace(':republishId', run.id))).status).toBe(409);
  });

  it('resumes a run from its checkpoint after the admin app restarts', async () => {
    const from = (await head()) + 1;
    const events = await appendManyJobsPosted(store, 40);
    const run = (
      await call('POST', AdminRoutes.republishes, {
        fromPosition: from,
        toPosition: await head(),
        ratePerSecond: 10,
      })
    ).body as unknown as RepublishView;
    await waitFor('the first batches', () => ofRun(run.id).length >= 10, { timeoutMs: 30_000 });
    await admin.app.close();
    const stopped = await view(run.id).catch(() => null);
    expect(stopped).toBeNull(); // the app is down

    admin = await startAdmin();
    const resumedAt = await view(run.id);
    expect(resumedAt.status === 'running' || resumedAt.status === 'done').toBe(true);
    expect(resumedAt.progress.done).toBeGreaterThanOrEqual(10);
    await waitFor('the run to finish after the restart', async () => (await view(run.id)).status === 'done', {
      timeoutMs: 60_000,
    });
    await waitFor(
      'every record',
      () => new Set(ofRun(run.id).map((m) => m.headers.ce_id)).size >= events.length,
    );
    expect(new Set(ofRun(run.id).map((m) => m.headers.ce_id))).toEqual(new Set(events.map((e) => e.id)));
    // Resumed after the checkpoint, not from the start: no record was sent twice.
    expect(ofRun(run.id).length).toBe(events.length);
  });

  describe('bad input: 4xx problem+json, nothing stored, nothing audited', () => {
    const employerKey = `fwk_${'a'.repeat(16)}_${'b'.repeat(43)}`;
    it.each([
      ['from after to', { fromPosition: 5, toPosition: 4 }, ADMIN_TOKEN, 400, 'toPosition'],
      [
        'an unknown category',
        { fromPosition: 1, toPosition: 4, categories: ['admin'] },
        ADMIN_TOKEN,
        400,
        'categories.0',
      ],
      ['rate 0', { fromPosition: 1, toPosition: 4, ratePerSecond: 0 }, ADMIN_TOKEN, 400, 'ratePerSecond'],
      ['a fractional position', { fromPosition: 1.5, toPosition: 4 }, ADMIN_TOKEN, 400, 'fromPosition'],
      [
        'an unknown field',
        { fromPosition: 1, toPosition: 4, topic: 'feedwerk.events.jobs.v1' },
        ADMIN_TOKEN,
        400,
        null,
      ],
      ['no credential', { fromPosition: 1, toPosition: 4 }, null, 401, null],
      ['a wrong token', { fromPosition: 1, toPosition: 4 }, 'not-an-admin-token', 401, null],
      ['an employer API key', { fromPosition: 1, toPosition: 4 }, employerKey, 403, null],
    ])('refuses %s', async (_what, body, token, status, path) => {
      const before = (await call('GET', AdminRoutes.republishes)).body.items as unknown[];
      const audits = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM events WHERE type = 'AdminActionRecorded'`,
      );
      const answer = await call('POST', AdminRoutes.republishes, body, token);
      expect(answer.status).toBe(status);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      if (path) {
        expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
      expect((await call('GET', AdminRoutes.republishes)).body.items).toHaveLength(before.length);
      expect(
        await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'AdminActionRecorded'`),
      ).toEqual(audits);
    });

    it('answers 404 for an unknown run and 400 for an id that is not one', async () => {
      expect((await call('GET', AdminRoutes.republish.replace(':republishId', randomUUID()))).status).toBe(
        404,
      );
      expect((await call('GET', AdminRoutes.republish.replace(':republishId', 'x;DROP'))).status).toBe(400);
      expect((await call('DELETE', AdminRoutes.republish.replace(':republishId', randomUUID()))).status).toBe(
        404,
      );
      expect((await call('GET', AdminRoutes.republishes, undefined, null)).status).toBe(401);
    });
  });
});
