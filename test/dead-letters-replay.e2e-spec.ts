import { PassThrough } from 'node:stream';
import { Module } from '@nestjs/common';
import { AdminRoutes, type DeadLetterList, StreamIds, Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { startApp, type StartedApp } from '@feedwerk/platform';
import { JobsReadModel } from '@feedwerk/read-models';
import {
  appendJobPosted,
  TEST_ADMIN_TOKEN as ADMIN_TOKEN,
  testAppEnv,
  testKafkaTransport,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
  adminCaller,
  capturedOutput,
} from '@feedwerk/testing';
import { encodeEnvelope, type IncomingMessage, type Subscription } from '@feedwerk/transport';
// A test across two apps, composed in one process as the standalone app does: the projector parks, the admin replays.
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { AdminModule } from '../apps/admin/src/admin.module';
import { ExitCode } from '../apps/admin/src/cli/admin-client';
import { runCli } from '../apps/admin/src/cli/program';
import { ReplayedDeadLetterHeaders } from '../apps/admin/src/dead-letters/dead-letters.service';

@Module({ imports: [AdminModule, ProjectorModule] })
class AdminAndProjectorModule {}

describe('dead letters: parked by the projector, listed and replayed by an admin on real Kafka', () => {
  let db: TestDatabase, store: EventStore;
  let app: StartedApp;
  const transport = testKafkaTransport('dlt-test');
  const prefix = transport.topicPrefix;
  const onJobsTopic: IncomingMessage[] = [];
  let watcher: Subscription;

  const call = adminCaller(() => app.url);
  const list = async (query = '') =>
    (await call('GET', `${AdminRoutes.deadLetters}${query}`)).body as unknown as DeadLetterList;

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    app = await startApp(
      {
        app: 'admin',
        requires: ['postgres', 'kafka'],
        env: testAppEnv(db.url, { LOG_LEVEL: 'error', TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '1' }),
      },
      AdminAndProjectorModule,
    );
    watcher = await transport.subscribe({
      groupId: uniqueName('watch-'),
      topics: [Topics.events('jobs')],
      fromBeginning: true,
      handle: async (batch) => {
        onJobsTopic.push(...batch);
      },
    });
  });
  afterAll(async () => {
    await watcher.stop();
    await app.app.close();
    await transport.close();
    await db.close();
  });

  it('lists what the projector parked, with reason, source, group and time', async () => {
    const template = encodeEnvelope(await appendJobPosted(store));
    await transport.publish(Topics.events('jobs'), [{ ...template, value: '{"broken":' }]);
    // Both projector groups read the jobs topic: each parks the record.
    const page = await waitFor(
      'two dead letters',
      async () => {
        const now = await list();
        return now.items.length >= 2 ? now : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(page.items.map((d) => d.group).sort()).toEqual(['projector.activity', 'projector.jobs']);
    for (const item of page.items) {
      expect(item).toMatchObject({
        reason: 'value is not JSON',
        topic: Topics.events('jobs'),
        partition: 0,
        offset: '0',
        key: template.key,
        value: '{"broken":',
        valueTruncated: false,
        replayedAt: null,
        replayActionId: null,
        replayCount: 0,
      });
      expect(item.headers.ce_type).toBe('JobPosted');
      expect(Date.parse(item.deadLetteredAt)).not.toBeNaN();
    }
    expect(page.nextAfter).toBeNull();
    const first = await list('?limit=1');
    expect({ ids: first.items.map((d) => d.id), next: first.nextAfter }).toEqual({
      ids: [page.items[0]!.id],
      next: page.items[0]!.id,
    });
    expect((await list(`?after=${first.nextAfter}`)).items.map((d) => d.id)).toEqual([page.items[1]!.id]);
  });

  it('replays dead letters to their source topic (audited); the projector applies what it can process now', async () => {
    // A record an older release parked (say, one that did not know the type yet): valid for this one.
    const event = await appendJobPosted(store, { title: 'Lange geparkt (m/w/d)' });
    const message = encodeEnvelope(event);
    await db.dataSource.query(
      `INSERT INTO dead_letters (consumer_group, source_topic, source_partition, source_offset, fingerprint,
                                 reason, record_key, record_value, headers)
       VALUES ('projector.jobs', $1, 0, 4711, 'older-release', 'unknown event type "JobPosted"', $2, $3, $4)`,
      [Topics.events('jobs'), message.key, Buffer.from(message.value), JSON.stringify(message.headers)],
    );
    const pending = await list();
    expect(pending.items).toHaveLength(3);
    const old = pending.items.find((d) => d.offset === '4711')!;
    const broken = pending.items.filter((d) => d.offset === '0');

    const replay = await call('POST', AdminRoutes.deadLettersReplay, { all: true });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: 3, unknownIds: [] });
    const actionId = String(replay.body.actionId);

    // The audit log has it, with what was replayed.
    const audit = await store.readStream(StreamIds.adminAction(actionId));
    expect(audit.map((e) => e.data)).toEqual([
      {
        actionId,
        action: 'dead-letter.replayed',
        target: 'dead-letters',
        parameters: { selection: 'all', count: 3, ids: pending.items.map((d) => d.id).join(',') },
      },
    ]);
    expect(audit[0]!.actor).toMatchObject({ kind: 'admin' });

    // On the source topic: the record parked by both groups once, the old one once, as they arrived.
    const replayed = await waitFor(
      'the replayed records on the jobs topic',
      () => {
        const seen = onJobsTopic.filter((m) => m.headers[ReplayedDeadLetterHeaders.actionId] === actionId);
        return seen.length >= 2 ? seen : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(replayed).toHaveLength(2);
    expect(replayed.map((m) => m.value?.toString())).toEqual(['{"broken":', message.value]);
    expect(replayed[1]!.key).toBe(message.key);
    expect(replayed[1]!.headers).toMatchObject(message.headers);

    // The valid one is applied now; the broken one is parked again, as a new dead letter.
    const jobId = (event.data as { jobId: string }).jobId;
    const job = await waitFor(
      'the replayed job in the read model',
      () => new JobsReadModel(db.dataSource).job(jobId).then((j) => j ?? false),
      { timeoutMs: 30_000 },
    );
    expect(job.title).toBe('Lange geparkt (m/w/d)');
    const again = await waitFor(
      'the broken record parked again',
      async () => {
        const now = await list();
        return now.items.length >= 2 ? now : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(again.items.map((d) => d.reason)).toEqual(['value is not JSON', 'value is not JSON']);
    expect(again.items.every((d) => d.headers[ReplayedDeadLetterHeaders.actionId] === actionId)).toBe(true);

    const done = (await list('?status=replayed')).items;
    expect(done.map((d) => d.id).sort()).toEqual([old.id, ...broken.map((d) => d.id)].sort());
    expect(done.every((d) => d.replayActionId === actionId && d.replayCount === 1 && d.replayedAt)).toBe(
      true,
    );

    // Replaying one by id again is allowed (an admin's explicit choice); unknown ids are reported.
    const byId = await call('POST', AdminRoutes.deadLettersReplay, { ids: [old.id, 999_999] });
    expect(byId.body).toMatchObject({ replayed: 1, unknownIds: [999_999] });
    expect((await list('?status=all')).items.find((d) => d.id === old.id)?.replayCount).toBe(2);
  });

  it('refuses requests without the admin credential and bad input, as problem+json, replaying nothing', async () => {
    const before = (await list('?status=all')).items.map((d) => d.replayCount);
    expect((await call('GET', AdminRoutes.deadLetters, undefined, null)).status).toBe(401);
    expect((await call('POST', AdminRoutes.deadLettersReplay, { all: true }, null)).status).toBe(401);
    for (const [body, path] of [
      [{}, 'ids'],
      [{ ids: [1], all: true }, 'ids'],
      [{ ids: [] }, 'ids'],
      [{ ids: ['1'] }, 'ids.0'],
      [{ all: false }, 'all'],
      [{ all: true, drop: 1 }, '(root)'],
    ] as const) {
      const answer = await call('POST', AdminRoutes.deadLettersReplay, body);
      expect({ status: answer.status, type: answer.contentType }).toEqual({
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    }
    for (const query of ['?status=gone', '?limit=0', '?after=-1', '?limit=abc']) {
      expect((await call('GET', `${AdminRoutes.deadLetters}${query}`)).status).toBe(400);
    }
    expect((await list('?status=all')).items.map((d) => d.replayCount)).toEqual(before);
  });

  it('npm run admin -- dead-letters / dead-letters:replay against the service', async () => {
    const cli = async (...argv: string[]) => {
      const { stdout, stderr, output } = capturedOutput();
      const code = await runCli(argv, {
        stdout,
        stderr,
        stdin: new PassThrough(),
        env: { FEEDWERK_URL: app.url, FEEDWERK_ADMIN_TOKEN: ADMIN_TOKEN },
      });
      return { code, ...output() };
    };
    const pending = (await list()).items;
    expect(pending.length).toBeGreaterThan(0);
    const listed = await cli('dead-letters');
    expect(listed.code).toBe(ExitCode.ok);
    expect(listed.out.trim().split('\n')).toEqual(
      pending.map(
        (d) => `${d.id}\t${d.deadLetteredAt}\t${d.group}\t${d.topic}/${d.partition}@${d.offset}\t${d.reason}`,
      ),
    );
    const replayed = await cli('dead-letters:replay', String(pending[0]!.id));
    expect(replayed.code).toBe(ExitCode.ok);
    expect(replayed.out).toMatch(/^replayed 1 dead letter\(s\) \(audit action [0-9a-f-]{36}\)\n$/);
    expect((await cli('dead-letters', '--status', 'replayed')).out).toContain(`${pending[0]!.id}\t`);
    expect((await cli('dead-letters:replay')).code).toBe(ExitCode.usage);
    expect((await cli('dead-letters:replay', '1', '--all')).code).toBe(ExitCode.usage);
    expect((await cli('dead-letters:replay', 'x1')).code).toBe(ExitCode.usage);
    const unknown = await cli('dead-letters:replay', '987654');
    expect([unknown.code, unknown.err]).toEqual([
      ExitCode.failed,
      'error: no dead letters with ids 987654\n',
    ]);
  });
});
