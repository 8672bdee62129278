import { type INestApplication } from '@nestjs/common';
import {
  type ProjectionView,
  type RebuildView,
  type TickerChangeV1,
  TICKER_MAX_LIMIT,
  TickerProtocol,
  type TickerResync,
  type TickerSubscribeAck,
} from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { activityTables, foldActivity } from '@feedwerk/read-models';
import { type StartedApp } from '@feedwerk/platform';
import {
  createAppDatabase,
  employerBody,
  jobBody,
  storeHistory,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { io, type Socket } from 'socket.io-client';
// The DataSource class is also the Nest token the platform provides it under.
import { DataSource } from 'typeorm';
import { AdminModule } from '../apps/admin/src/admin.module';
import { ApiModule } from '../apps/api/src/api.module';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { RelayModule } from '../apps/relay/src/relay.module';
import { TickerModule } from '../apps/ticker/src/ticker.module';
import {
  appStarter,
  call,
  deployedFor,
  DISTRIBUTED_MODE,
  EMBEDDED_MODE,
  post,
  startEmbedded,
  TEST_ADMIN_TOKEN,
} from './support';

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** Small batches, so that the rebuild spans many transactions while commands keep arriving. */
const SETTINGS = { TICKER_BURST_WINDOW_MS: '0', REBUILD_BATCH_SIZE: '60' };

interface RebuildDeployment {
  readonly apiUrl: string;
  readonly tickerUrl: string;
  readonly adminUrl: string;
  /** The database the apps use (for the from-scratch fold and the generation's tables). */
  readonly db: DataSource;
  stop(): Promise<void>;
}

async function embedded(): Promise<RebuildDeployment> {
  const deployment = await startEmbedded(SETTINGS);
  const app: INestApplication = deployment.apps[0]!;
  return {
    apiUrl: deployment.apiUrl,
    tickerUrl: deployment.tickerUrl,
    adminUrl: deployment.apiUrl,
    db: app.get(DataSource),
    stop: () => deployment.stop(),
  };
}

/** Production layout: api, relay, projector, ticker and admin, each its own app, on PostgreSQL and Kafka. */
async function distributed(): Promise<RebuildDeployment> {
  const database = await createAppDatabase(SETTINGS);
  const started: StartedApp[] = [];
  const startOne = appStarter(database.env);
  const start = async (...args: Parameters<typeof startOne>) => {
    const one = await startOne(...args);
    started.push(one);
    return one;
  };
  const api = await start('api', ApiModule);
  const [, , ticker, admin] = await Promise.all([
    start('relay', RelayModule),
    start('projector', ProjectorModule),
    start('ticker', TickerModule, { TICKER_NODE_ID: uniqueName('node-') }),
    start('admin', AdminModule),
  ]);
  return {
    apiUrl: api.url,
    tickerUrl: ticker.url,
    adminUrl: admin.url,
    db: admin.app.get(DataSource),
    async stop() {
      for (const { app } of started.reverse()) await app.close().catch(() => undefined);
      await database.drop();
    },
  };
}

/** A socket.io client that keeps its box the way the widget does, and re-subscribes when told to resync. */
async function tickerClient(url: string, portal: string) {
  const socket: Socket = io(`${url}${TickerProtocol.namespace}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  const changes: TickerChangeV1[] = [];
  const resyncs: TickerResync[] = [];
  const acks: TickerSubscribeAck[] = [];
  let disconnected = false;
  const subscribe = async () => {
    const ack = (await socket
      .timeout(10_000)
      // The largest box: the test looks for its latest posting in the snapshot a resync leads to, and
      // the box is ordered by feed position, which across partitions is the projector's order.
      .emitWithAck(TickerProtocol.subscribe, { portal, limit: TICKER_MAX_LIMIT })) as TickerSubscribeAck;
    acks.push(ack);
  };
  socket.on(TickerProtocol.change, (change: TickerChangeV1) => changes.push(change));
  socket.on(TickerProtocol.resync, (resync: TickerResync) => {
    resyncs.push(resync);
    void subscribe();
  });
  socket.on('disconnect', () => {
    disconnected = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  await subscribe();
  return {
    changes,
    resyncs,
    acks,
    get disconnected() {
      return disconnected;
    },
    close: () => socket.disconnect(),
  };
}

describe.each([
  [DISTRIBUTED_MODE, distributed],
  [EMBEDDED_MODE, embedded],
])('blue/green rebuild of the activity projection on %s', (_mode, start) => {
  const deployment = deployedFor(start, 120_000);

  it('rebuilds while commands keep arriving and a ticker client stays connected', async () => {
    const { apiUrl, adminUrl, db } = deployment;
    const portal = uniqueName('p-');
    const registered = await post(apiUrl, '/employers', employerBody());
    expect(registered.status).toBe(201);
    const auth = { authorization: `Bearer ${String(registered.body.apiKey)}` };

    // History before the rebuild: an import (one transaction, many streams), postings, an update, a close.
    const imported = await post(
      apiUrl,
      '/jobs/import',
      { jobs: Array.from({ length: 300 }, () => jobBody({ portal })) },
      auth,
    );
    expect(imported.status).toBe(201);
    const postedJobs: string[] = (imported.body.jobs as { jobId: string }[]).map((j) => j.jobId);
    const postOne = async () => {
      const posted = await post(apiUrl, '/jobs', jobBody({ portal }), auth);
      expect(posted.status).toBe(201);
      postedJobs.push(String(posted.body.jobId));
      return String(posted.body.jobId);
    };
    const first = await postOne();
    const updated = await call(
      apiUrl,
      'PATCH',
      `/jobs/${first}`,
      { title: 'Pflegefachkraft Nacht (m/w/d)' },
      {
        ...auth,
        'if-match': '"1"',
      },
    );
    expect(updated.status).toBe(200);
    const toClose = postedJobs[0]!;
    expect((await post(apiUrl, `/jobs/${toClose}/close`, { reason: 'filled' }, auth)).status).toBe(200);

    const client = await tickerClient(deployment.tickerUrl, portal);
    try {
      expect(client.acks[0]).toMatchObject({ ok: true, mode: 'snapshot' });

      // Commands keep arriving over HTTP for the whole rebuild.
      let traffic = true;
      let sent = 0;
      const commands = (async () => {
        while (traffic) {
          const jobId = await postOne();
          sent += 1;
          if (sent % 5 === 0) {
            expect((await post(apiUrl, `/jobs/${jobId}/close`, { reason: 'expired' }, auth)).status).toBe(
              200,
            );
          }
        }
      })();

      const requested = await post(adminUrl, '/admin/projections/activity/rebuilds', {}, ADMIN);
      expect(requested.status).toBe(202);
      const rebuild = requested.body as unknown as RebuildView;
      expect(rebuild).toMatchObject({ projection: 'activity', generation: 2, status: 'building' });
      const again = await post(adminUrl, '/admin/projections/activity/rebuilds', {}, ADMIN);
      expect(again.status).toBe(409);

      const seenProgress: RebuildView[] = [];
      const finished = await waitFor(
        'the rebuild to go live',
        async () => {
          const view = (await call(adminUrl, 'GET', `/admin/rebuilds/${rebuild.id}`, undefined, ADMIN))
            .body as unknown as RebuildView;
          seenProgress.push(view);
          return view.status === 'live'
            ? view
            : view.status === 'building'
              ? undefined
              : Promise.reject(new Error(view.status));
        },
        { timeoutMs: 180_000, intervalMs: 100 },
      );
      // A few more commands after the switch, then the traffic stops.
      const sentAtSwitch = sent;
      await waitFor('commands after the switch', () => sent >= sentAtSwitch + 5, { timeoutMs: 60_000 });
      traffic = false;
      await commands;
      const lastJob = await postOne();

      expect(finished.progress.done).toBeGreaterThan(300);
      expect(finished.progress.total).toBe(finished.progress.done);
      expect(
        seenProgress.some(
          (v) => v.status === 'building' && v.progress.done > 0 && v.progress.done < v.progress.total,
        ),
      ).toBe(true);
      const projections = (await call(adminUrl, 'GET', '/admin/projections', undefined, ADMIN))
        .body as unknown as ProjectionView[];
      expect(projections.find((p) => p.name === 'activity')).toMatchObject({
        liveGeneration: 2,
        rebuild: null,
      });

      // The store is complete now: fold it from scratch, in commit order (read once no transaction
      // still running holds the commit-order frontier back, i.e. every posting is in it).
      const postingIds = new Set(postedJobs.map((id) => `job:${id}`));
      const events = await waitFor('the whole history in commit order', async () => {
        const all = await storeHistory(new EventStore(db));
        const postings = all.filter((e) => e.type === 'JobPosted' && postingIds.has(e.streamId));
        return postings.length === postingIds.size ? all : undefined;
      });
      const expected = foldActivity(events, { burstWindowMs: 0 });
      // The projector keeps projecting into the new generation: wait until it has applied everything.
      const t = activityTables(2);
      await waitFor(
        'the live projector to apply every event to generation 2',
        async () => {
          const rows = await db.query<{ head: string }[]>(`SELECT max(position) AS head FROM ${t.changes}`);
          return Number(rows[0]?.head) >= expected.changes.length;
        },
        { timeoutMs: 60_000 },
      );

      const changes: { position: string; op: string; item_id: string; kind: string; count: number }[] =
        await db.query(`SELECT position, op, item_id, kind, count FROM ${t.changes} ORDER BY position`);
      const items: { id: string; kind: string; count: number; retracted: boolean }[] = await db.query(
        `SELECT id, kind, count, retracted FROM ${t.items}`,
      );
      // Positions after the switch follow the projector's delivery order (topics are partitioned), so
      // compare what each change did, and check the positions are gapless.
      expect(changes.map((c) => Number(c.position))).toEqual(expected.changes.map((_, i) => i + 1));
      const key = (c: { op: string; id: string; kind: string; count: number }) =>
        `${c.id}/${c.op}/${c.kind}/${c.count}`;
      expect(
        changes.map((c) => key({ op: c.op, id: c.item_id, kind: c.kind, count: c.count })).sort(),
      ).toEqual(
        expected.changes
          .map((c) => key({ op: c.op, id: c.item.id, kind: c.item.kind, count: c.item.count }))
          .sort(),
      );
      const itemKey = (i: { id: string; kind: string; count: number; retracted: boolean }) =>
        `${i.id}/${i.kind}/${i.count}/${i.retracted}`;
      expect(items.map(itemKey).sort()).toEqual([...expected.model.items.values()].map(itemKey).sort());

      // Every posted job's item is there exactly once.
      const postings: { job: string; items: string }[] = await db.query(
        `SELECT e.stream_id AS job, (SELECT count(*) FROM ${t.items} i WHERE i.id = e.event_id) AS items
           FROM events e WHERE e.type = 'JobPosted' AND e.stream_id = ANY($1::text[])`,
        [postedJobs.map((id) => `job:${id}`)],
      );
      expect(postings).toHaveLength(postedJobs.length);
      expect(postings.filter((p) => Number(p.items) !== 1)).toEqual([]);

      // The switch reached the client as exactly one resync (reason `rebuilt`, the new generation),
      // and the re-subscription it made was served from the new generation.
      await waitFor('the resync after the switch', () => client.resyncs.length >= 1, { timeoutMs: 60_000 });
      await waitFor('an answer to the re-subscription', () => client.acks.length === 2);
      expect(client.resyncs).toEqual([
        expect.objectContaining({ reason: 'rebuilt', generation: rebuild.generation }),
      ]);
      const resubscribed = client.acks[1];
      expect(resubscribed).toMatchObject({ ok: true, mode: 'snapshot', generation: rebuild.generation });
      // The last posting reached the client: in that snapshot or live after it, depending on whether
      // the node learned of the switch before or after the posting was projected.
      const lastItem = String(events.find((e) => e.streamId === `job:${lastJob}`)?.id);
      await waitFor(
        'the last posting on the connected client',
        () =>
          (resubscribed?.ok === true &&
            resubscribed.mode === 'snapshot' &&
            resubscribed.items.some((item) => item.id === lastItem)) ||
          client.changes.some((c) => c.op === 'upsert' && c.item.id === lastItem),
        { timeoutMs: 60_000 },
      );
      // The client stayed connected and gets live changes of the new generation: a posting after its
      // re-subscription arrives as a change.
      const liveJob = await postOne();
      await waitFor(
        'a posting after the re-subscription, live on the connected client',
        async () => {
          const rows: { event_id: string }[] = await db.query(
            `SELECT event_id FROM events WHERE stream_id = $1 AND type = 'JobPosted'`,
            [`job:${liveJob}`],
          );
          const id = rows[0]?.event_id;
          return id !== undefined && client.changes.some((c) => c.op === 'upsert' && c.item.id === id);
        },
        { timeoutMs: 60_000 },
      );
      expect(client.disconnected).toBe(false);
      expect(client.resyncs).toHaveLength(1);

      // The rebuild's start is in the audit log.
      const audit: { data: { action: string; target: string } }[] = await db.query(
        `SELECT data FROM events WHERE stream_id = $1`,
        [`admin-action:${rebuild.id}`],
      );
      expect(audit.map((a) => a.data)).toEqual([
        expect.objectContaining({ action: 'projection.rebuild.requested', target: 'activity' }),
      ]);
    } finally {
      client.close();
    }
  }, 300_000);
});

async function request(
  url: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string>,
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: method === 'POST' ? { 'content-type': 'application/json', ...headers } : headers,
    body: method === 'POST' ? '{}' : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
  };
}

describe('the rebuild admin routes refuse bad input (embedded)', () => {
  let deployment: RebuildDeployment;
  let employerKey: string;

  beforeAll(async () => {
    const started = await startEmbedded({ ...SETTINGS, REBUILD_BATCH_SIZE: '1' });
    deployment = {
      apiUrl: started.apiUrl,
      tickerUrl: started.tickerUrl,
      adminUrl: started.apiUrl,
      db: started.apps[0]!.get(DataSource),
      stop: () => started.stop(),
    };
    const registered = await post(deployment.apiUrl, '/employers', employerBody());
    employerKey = String(registered.body.apiKey);
    // Enough history that a rebuild in batches of one event is still running when it is cancelled.
    const imported = await post(
      deployment.apiUrl,
      '/jobs/import',
      { jobs: Array.from({ length: 200 }, () => jobBody()) },
      { authorization: `Bearer ${employerKey}` },
    );
    expect(imported.status).toBe(201);
  }, 120_000);
  afterAll(() => deployment?.stop(), 60_000);

  const counts = async () => {
    const rows = await deployment.db.query<{ rebuilds: string; audit: string; live: string }[]>(
      `SELECT (SELECT count(*) FROM projection_rebuilds) AS rebuilds,
              (SELECT count(*) FROM events WHERE type = 'AdminActionRecorded') AS audit,
              (SELECT string_agg(projection || '=' || generation, ',' ORDER BY projection) FROM projection_live) AS live`,
    );
    return rows[0];
  };
  const uuid = '0b6f5a52-8f0c-4a8e-9d55-2f3c8f1f6b7e';

  it.each([
    ['an unknown projection', 'POST', '/admin/projections/nope/rebuilds', 'admin', 400, 'name'],
    [
      'a projection name that is a path trick',
      'POST',
      '/admin/projections/..%2Factivity/rebuilds',
      'admin',
      400,
      'name',
    ],
    ['no credential', 'POST', '/admin/projections/activity/rebuilds', 'none', 401, null],
    ['an employer API key', 'POST', '/admin/projections/activity/rebuilds', 'employer', 403, null],
    ['a wrong admin token', 'POST', '/admin/projections/activity/rebuilds', 'wrong', 401, null],
    ['no credential on the list', 'GET', '/admin/projections', 'none', 401, null],
    ['an employer key on progress', 'GET', `/admin/rebuilds/${uuid}`, 'employer', 403, null],
    ['a rebuild id that is not a uuid', 'GET', '/admin/rebuilds/not-a-uuid', 'admin', 400, 'rebuildId'],
    ['an unknown rebuild', 'GET', `/admin/rebuilds/${uuid}`, 'admin', 404, null],
    [
      'cancelling an id that is not a uuid',
      'DELETE',
      '/admin/rebuilds/1%27%20OR%201=1',
      'admin',
      400,
      'rebuildId',
    ],
    ['cancelling an unknown rebuild', 'DELETE', `/admin/rebuilds/${uuid}`, 'admin', 404, null],
    ['cancelling without a credential', 'DELETE', `/admin/rebuilds/${uuid}`, 'none', 401, null],
  ] as const)(
    '%s: %s %s as %s → %i problem, nothing changed',
    async (_case, method, path, who, status, field) => {
      const before = await counts();
      const headers: Record<string, string> =
        who === 'admin'
          ? ADMIN
          : who === 'employer'
            ? { authorization: `Bearer ${employerKey}` }
            : who === 'wrong'
              ? { authorization: `Bearer ${'x'.repeat(40)}` }
              : {};
      const answer = await request(deployment.adminUrl, method, path, headers);
      expect(answer.status).toBe(status);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status });
      if (field) {
        expect(answer.body.errors).toEqual([
          expect.objectContaining({ path: field, message: expect.any(String) }),
        ]);
      }
      expect(await counts()).toEqual(before);
    },
  );

  it('cancels a running rebuild once: a second cancel is a 409, the live generation is untouched', async () => {
    const started = await request(deployment.adminUrl, 'POST', '/admin/projections/jobs/rebuilds', ADMIN);
    expect(started.status).toBe(202);
    const id = String(started.body.id);
    const cancelled = await request(deployment.adminUrl, 'DELETE', `/admin/rebuilds/${id}`, ADMIN);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ id, cancelRequested: true });
    const before = await counts();
    const twice = await request(deployment.adminUrl, 'DELETE', `/admin/rebuilds/${id}`, ADMIN);
    expect(twice.status).toBe(409);
    expect(twice.contentType).toContain('application/problem+json');
    expect(await counts()).toEqual(before);

    const view = await waitFor('the builder to cancel', async () => {
      const answer = await request(deployment.adminUrl, 'GET', `/admin/rebuilds/${id}`, ADMIN);
      return answer.body.status === 'cancelled' ? answer.body : undefined;
    });
    expect(view).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
    expect((await request(deployment.adminUrl, 'DELETE', `/admin/rebuilds/${id}`, ADMIN)).status).toBe(409);
    expect((await counts())?.live).toBe('activity=1,jobs=1');
    const tables = await deployment.db.query<{ t: string | null }[]>(
      `SELECT to_regclass('rm_jobs_v1_g2')::text AS t`,
    );
    expect(tables[0]?.t).toBeNull();
    // Start and cancel are both in the audit log, by the same admin.
    const audit = await deployment.db.query<{ action: string; target: string; actor: string }[]>(
      `SELECT data->>'action' AS action, data->>'target' AS target, metadata->'actor'->>'id' AS actor
         FROM events WHERE type = 'AdminActionRecorded' ORDER BY global_position`,
    );
    expect(audit).toEqual([
      { action: 'projection.rebuild.requested', target: 'jobs', actor: expect.stringMatching(/^admin-/) },
      { action: 'projection.rebuild.cancelled', target: id, actor: audit[0]!.actor },
    ]);
  });
});
