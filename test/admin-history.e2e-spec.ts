import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { StreamIds, type TickerItemV1 } from '@feedwerk/contracts';

import {
  createAppDatabase,
  cvFields,
  employerBody,
  jobBody,
  pdfBytes,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { parse as parseCsv } from 'csv-parse/sync';
import { AdminModule } from '../apps/admin/src/admin.module';
import { ApiModule } from '../apps/api/src/api.module';
import { buildAdminPage } from './browser';
import { appStarter, call, startEmbedded, TEST_ADMIN_TOKEN, tickerClient } from './support';

/**
 * The admin history API against the real service, in both modes: the embedded default (one
 * process, PGlite) and the production layout (api and admin as separate apps on PostgreSQL and
 * Kafka). The history is made through the public HTTP API: an employer, jobs posted, updated,
 * closed and refreshed, and two candidates' CV uploads, one of whom is then erased.
 */

interface Setup {
  readonly apiUrl: string;
  readonly adminUrl: string;
  /** The live box of a portal (embedded mode only, where the ticker runs in the same process). */
  readonly liveBox?: (portal: string) => Promise<readonly TickerItemV1[]>;
  stop(): Promise<void>;
}

// The admin page the apps serve, as `npm run build` makes it (the sources hold no built admin.js).
let adminPage: Awaited<ReturnType<typeof buildAdminPage>>;
beforeAll(async () => {
  adminPage = await buildAdminPage();
  process.env.ADMIN_PAGE_DIR = adminPage.dir;
});
afterAll(async () => {
  delete process.env.ADMIN_PAGE_DIR;
  await adminPage?.remove();
});

async function embedded(): Promise<Setup> {
  const deployment = await startEmbedded();
  const url = deployment.apiUrl;
  return {
    apiUrl: url,
    adminUrl: url,
    async liveBox(portal) {
      const client = await tickerClient(url, portal);
      client.close();
      if (!client.ack.ok || client.ack.mode !== 'snapshot')
        throw new Error(`no snapshot: ${JSON.stringify(client.ack)}`);
      return client.ack.items;
    },
    stop: () => deployment.stop(),
  };
}

async function production(): Promise<Setup> {
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-history-'));
  const database = await createAppDatabase({ BLOB_DIR: join(dataDir, 'blobs') });
  const start = appStarter(database.env);
  const apps: INestApplication[] = [];
  const api = await start('api', ApiModule);
  apps.push(api.app);
  const admin = await start('admin', AdminModule);
  apps.push(admin.app);
  return {
    apiUrl: api.url,
    adminUrl: admin.url,
    async stop() {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface EventView {
  position: number;
  id: string;
  type: string;
  streamId: string;
  streamPosition: number;
  time: string;
  correlationId: string;
  actor: { kind: string; id: string | null };
  data: Record<string, unknown> | null;
}
interface Page {
  events: EventView[];
  next: { after: number } | { before: number } | null;
}

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe.each([
  ['embedded (PGlite, in-process transport)', embedded],
  ['production layout (api and admin apps on PostgreSQL and Kafka)', production],
])('admin history API: %s', (_mode, start: () => Promise<Setup>) => {
  let setup: Setup;
  const portal = uniqueName('h');
  const other = uniqueName('o');
  const secrets = { name: 'Ottilie Geheimnis', email: 'ottilie.geheim@example.org' };
  let apiKey: string;
  let employerId: string;
  let jobA: string;
  let jobB: string;
  let erasedCandidate: string;
  let keptCandidate: string;
  /** Times between the steps, for time travel. */
  const t: Record<string, string> = {};

  const get = (path: string, headers: Record<string, string> = admin) =>
    call(setup.adminUrl, 'GET', path, undefined, headers);
  const pageOf = async (query: string): Promise<Page> => {
    const answer = await get(`/admin/events?${query}`);
    expect(answer.status).toBe(200);
    return answer.body as unknown as Page;
  };
  const tick = async (name: string) => {
    // Event times come from the server's clock: a mark taken between two commands separates them.
    await new Promise((resolve) => setTimeout(resolve, 20));
    t[name] = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const upload = async (fields: Record<string, string>) => {
    const body = new FormData();
    for (const [key, value] of Object.entries(cvFields({ portal, ...fields }))) body.append(key, value);
    body.append(
      'file',
      new Blob([new Uint8Array(pdfBytes('Lebenslauf'))], { type: 'application/pdf' }),
      'cv.pdf',
    );
    const uploaded = await fetch(`${setup.apiUrl}/candidates/cvs`, { method: 'POST', body });
    expect(uploaded.status).toBe(201);
    return (await uploaded.json()) as { candidateId: string; candidateToken: string };
  };

  beforeAll(async () => {
    setup = await start();
    const api = (
      method: 'POST' | 'PATCH',
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) => call(setup.apiUrl, method, path, body, { authorization: `Bearer ${apiKey}`, ...headers });
    await tick('start');
    const employer = await call(setup.apiUrl, 'POST', '/employers', employerBody(), {
      'x-correlation-id': `corr-${portal}`,
    });
    expect(employer.status).toBe(201);
    apiKey = String(employer.body.apiKey);
    employerId = String(employer.body.employerId);
    const a = await api('POST', '/jobs', jobBody({ portal, title: 'Pflegefachkraft Erstfassung' }));
    jobA = String(a.body.jobId);
    const b = await api('POST', '/jobs', jobBody({ portal }));
    jobB = String(b.body.jobId);
    expect((await api('POST', '/jobs', jobBody({ portal: other }))).status).toBe(201);
    await tick('posted');
    expect(
      (await api('PATCH', `/jobs/${jobA}`, { title: 'Pflegefachkraft Zweitfassung' }, { 'if-match': '"1"' }))
        .status,
    ).toBe(200);
    await tick('updated');
    expect((await api('POST', `/jobs/${jobB}/close`, { reason: 'filled' })).status).toBe(200);
    expect((await api('POST', '/jobs/refresh', { jobIds: [jobA] })).status).toBe(200);
    const erased = await upload(secrets);
    erasedCandidate = erased.candidateId;
    keptCandidate = (await upload({ name: 'Karl Bleibt', email: 'karl@example.org' })).candidateId;
    await tick('uploaded');
    const deleted = await fetch(`${setup.apiUrl}/candidates/${erasedCandidate}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${erased.candidateToken}` },
    });
    expect(deleted.status).toBe(200);
    await tick('end');
  }, 120_000);

  afterAll(() => setup?.stop());

  it("lists a portal's events with payloads upcast; a refresh counts by its portals list", async () => {
    const { events, next } = await pageOf(`portal=${portal}`);
    expect(next).toBeNull();
    expect(events.map((e) => e.type)).toEqual([
      'JobPosted',
      'JobPosted',
      'JobUpdated',
      'JobClosed',
      'JobsRefreshed',
      'CvUploaded',
      'CvUploaded',
    ]);
    expect(events.map((e) => e.position)).toEqual([...events.map((e) => e.position)].sort((x, y) => x - y));
    expect(events[0]).toMatchObject({
      streamId: StreamIds.job(jobA),
      streamPosition: 1,
      actor: { kind: 'employer', id: employerId },
      data: { jobId: jobA, portal, title: 'Pflegefachkraft Erstfassung' },
    });
    expect(events.find((e) => e.type === 'JobsRefreshed')?.streamId).toBe(StreamIds.employer(employerId));
  });

  it("shows an erased candidate's personal data as erased, a live one's as sealed; never ciphertext or plaintext", async () => {
    const exported = async (format: string) =>
      (
        await fetch(`${setup.adminUrl}/admin/events/export?format=${format}&portal=${portal}`, {
          headers: admin,
        })
      ).text();
    const answer = await get(`/admin/events?type=CvUploaded,CandidateErased&portal=${portal}`);
    const uploads = (answer.body as unknown as Page).events;
    const byCandidate = new Map(uploads.map((e) => [e.data?.candidateId, e.data]));
    expect(byCandidate.get(erasedCandidate)?.personal).toEqual({ status: 'erased' });
    expect(byCandidate.get(keptCandidate)?.personal).toEqual({ status: 'sealed' });
    const everywhere = [
      JSON.stringify(answer.body),
      JSON.stringify((await get(`/admin/streams/${StreamIds.candidate(erasedCandidate)}`)).body),
      JSON.stringify((await get(`/admin/streams/${StreamIds.candidate(keptCandidate)}`)).body),
      await exported('jsonl'),
      await exported('csv'),
    ];
    for (const text of everywhere) {
      expect(text).not.toContain(secrets.name);
      expect(text).not.toContain(secrets.email);
      expect(text).not.toContain('Karl Bleibt');
      expect(text).not.toContain('ciphertext');
      expect(text).not.toContain('A256GCM');
    }
    // The erasure itself is in the candidate's stream.
    const stream = (await get(`/admin/streams/${StreamIds.candidate(erasedCandidate)}`)).body;
    expect((stream.events as EventView[]).map((e) => e.type)).toEqual(['CvUploaded', 'CandidateErased']);
  });

  it('pages oldest first with after and newest first with before, limit at most 500', async () => {
    const all = (await pageOf(`portal=${portal}`)).events.map((e) => e.position);
    const forward: number[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await pageOf(`portal=${portal}&limit=3${cursor}`);
      forward.push(...page.events.map((e) => e.position));
      if (!page.next) break;
      expect(page.next).toHaveProperty('after');
      cursor = `&after=${(page.next as { after: number }).after}`;
    }
    expect(forward).toEqual(all);
    const first = await pageOf(`portal=${portal}&limit=2&before=${Number.MAX_SAFE_INTEGER}`);
    expect(first.events.map((e) => e.position)).toEqual(all.slice(-2).reverse());
    const second = await pageOf(
      `portal=${portal}&limit=2&before=${(first.next as { before: number }).before}`,
    );
    expect(second.events.map((e) => e.position)).toEqual(all.slice(-4, -2).reverse());
  });

  it('filters by type, stream, time range and correlation id', async () => {
    expect(
      (await pageOf(`type=JobPosted&type=JobClosed&portal=${portal}`)).events.map((e) => e.type),
    ).toEqual(['JobPosted', 'JobPosted', 'JobClosed']);
    expect((await pageOf(`stream=${StreamIds.job(jobA)}`)).events.map((e) => e.type)).toEqual([
      'JobPosted',
      'JobUpdated',
    ]);
    const between = await pageOf(`from=${t.posted}&to=${t.updated}`);
    expect(between.events.map((e) => e.type)).toEqual(['JobUpdated']);
    const correlated = await pageOf(`correlationId=corr-${portal}`);
    expect(correlated.events.map((e) => [e.type, e.correlationId])).toEqual([
      ['EmployerRegistered', `corr-${portal}`],
    ]);
  });

  it('exports as JSON lines and CSV, streamed, and records each export as an admin action', async () => {
    const page = await pageOf(`portal=${portal}`);
    const jsonl = await fetch(`${setup.adminUrl}/admin/events/export?format=jsonl&portal=${portal}`, {
      headers: admin,
    });
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toContain('application/x-ndjson');
    expect(jsonl.headers.get('content-disposition')).toMatch(
      /^attachment; filename="feedwerk-events-.*\.jsonl"$/,
    );
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as EventView);
    expect(lines).toEqual(page.events);
    const actionId = jsonl.headers.get('x-admin-action-id');

    const csv = await fetch(
      `${setup.adminUrl}/admin/events/export?format=csv&portal=${portal}&type=JobPosted`,
      {
        headers: admin,
      },
    );
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const records = parseCsv<Record<string, string>>(await csv.text(), { columns: true });
    expect(records.map((r) => [r.type, r.streamId])).toEqual([
      ['JobPosted', StreamIds.job(jobA)],
      ['JobPosted', StreamIds.job(jobB)],
    ]);
    expect(JSON.parse(records[0]!.data!)).toMatchObject({ jobId: jobA, portal });

    const audit = await waitFor('the export in the audit log', async () => {
      const { events } = await pageOf(`type=AdminActionRecorded&before=${Number.MAX_SAFE_INTEGER}&limit=500`);
      const recorded = events.filter(
        (e) => e.data?.parameters && (e.data.parameters as Record<string, unknown>).portal === portal,
      );
      return recorded.length >= 2 && recorded;
    });
    expect(audit.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        {
          actionId,
          action: 'history.exported',
          target: 'events',
          parameters: {
            type: null,
            stream: null,
            portal,
            from: null,
            to: null,
            correlationId: null,
            format: 'jsonl',
          },
        },
        expect.objectContaining({
          parameters: expect.objectContaining({ type: 'JobPosted', format: 'csv' }),
        }),
      ]),
    );
    expect(audit[0]!.actor).toEqual({ kind: 'admin', id: expect.stringMatching(/^admin-[0-9a-f]{12}$/) });
  });

  it("answers a stream's full history and the aggregate's state at a version or a time", async () => {
    const stream = await get(`/admin/streams/${StreamIds.job(jobA)}`);
    expect(stream.status).toBe(200);
    expect(stream.body).toMatchObject({ streamId: StreamIds.job(jobA), version: 2 });

    const v1 = await get(`/admin/streams/${StreamIds.job(jobA)}/state?version=1`);
    expect(v1.body).toMatchObject({
      aggregate: 'job',
      version: 1,
      currentVersion: 2,
      state: { status: 'open', jobId: jobA, job: { title: 'Pflegefachkraft Erstfassung' } },
    });
    const now = await get(`/admin/streams/${StreamIds.job(jobA)}/state`);
    expect(now.body).toMatchObject({ version: 2, state: { job: { title: 'Pflegefachkraft Zweitfassung' } } });
    const atPosted = await get(`/admin/streams/${StreamIds.job(jobA)}/state?at=${t.posted}`);
    expect(atPosted.body).toMatchObject({
      version: 1,
      state: { job: { title: 'Pflegefachkraft Erstfassung' } },
    });
    const before = await get(`/admin/streams/${StreamIds.job(jobA)}/state?at=${t.start}`);
    expect(before.body).toMatchObject({ version: 0, lastEventAt: null, state: { status: 'none' } });
    expect((await get(`/admin/streams/${StreamIds.job(jobB)}/state`)).body).toMatchObject({
      state: { status: 'closed' },
    });
    expect(
      (await get(`/admin/streams/${StreamIds.candidate(erasedCandidate)}/state?at=${t.uploaded}`)).body,
    ).toMatchObject({
      aggregate: 'candidate',
      state: { status: 'active' },
    });
    expect((await get(`/admin/streams/${StreamIds.candidate(erasedCandidate)}/state`)).body).toMatchObject({
      state: { status: 'erased' },
    });
    expect((await get(`/admin/streams/${StreamIds.employer(employerId)}/state`)).body).toMatchObject({
      aggregate: 'employer',
      state: { status: 'registered', employerId },
    });
  });

  it('shows the ticker box as it was at a given time', async () => {
    const box = async (at: string, lang = 'de') => {
      const answer = await get(`/admin/ticker/box?at=${at}&portal=${portal}&lang=${lang}`);
      expect(answer.status).toBe(200);
      return (answer.body as { items: TickerItemV1[] }).items;
    };
    expect(await box(t.start!)).toEqual([]);
    // Both postings within the burst window: one burst of two; the employer's sign-up is site-wide.
    const posted = await box(t.posted!);
    expect(posted.map((i) => [i.kind, i.count, i.text])).toEqual([
      ['jobs.burst', 2, 'Neue Jobangebote verfügbar'],
      ['employer.registered', 1, 'Neue Anmeldung Arbeitgeber'],
    ]);
    expect((await box(t.posted!, 'en'))[0]!.lang).toBe('en');
    // After the close the burst counts one posting; the update and the refresh are lines of their own.
    const uploaded = await box(t.uploaded!);
    expect(uploaded.map((i) => [i.kind, i.count])).toEqual([
      ['cv.uploaded', 2],
      ['jobs.refreshed', 1],
      ['job.updated', 1],
      ['jobs.burst', 1],
      ['employer.registered', 1],
    ]);
    // The erasure takes the candidate's upload back out of the count.
    const end = await box(t.end!);
    expect(end.find((i) => i.kind === 'cv.uploaded')?.count).toBe(1);
    if (setup.liveBox) {
      // Same rules as the projection: the box now equals the live ticker's box.
      const live = await waitFor('the live box to hold every line', async () => {
        const items = await setup.liveBox!(portal);
        return items.length === end.length && items;
      });
      const now = await box(new Date().toISOString());
      expect(now.map(({ id, kind, count, text, order }) => ({ id, kind, count, text, order }))).toEqual(
        live.map(({ id, kind, count, text, order }) => ({ id, kind, count, text, order })),
      );
    }
  });

  it('serves the admin page (a static shell with a strict CSP, no data, no credential needed)', async () => {
    const page = await fetch(`${setup.adminUrl}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<script src="/admin/admin.js" defer></script>');
    const script = await fetch(`${setup.adminUrl}/admin/admin.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
  });

  it.each([
    ['/admin/events?limit=501', 'limit'],
    ['/admin/events?limit=0', 'limit'],
    ['/admin/events?limit=abc', 'limit'],
    ['/admin/events?after=-1', 'after'],
    ['/admin/events?after=1&before=5', 'before'],
    ['/admin/events?type=NoSuchEvent', 'type.0'],
    ['/admin/events?portal=NOT%20A%20SLUG', 'portal'],
    ['/admin/events?portal=a&portal=b', 'portal'],
    ['/admin/events?from=yesterday', 'from'],
    ['/admin/events?from=2026-11-27T10:00:00Z&to=2026-11-27T09:00:00Z', 'to'],
    ['/admin/events?correlationId=%00x', 'correlationId'],
    ['/admin/events?stream=job', 'stream'],
    ['/admin/events?portl=berlin', '(root)'],
    ['/admin/events/export?format=xml', 'format'],
    ['/admin/streams/not-a-stream', 'streamId'],
    ['/admin/streams/job:abc/state?version=0', 'version'],
    ['/admin/streams/job:abc/state?version=1&at=2026-11-27T10:00:00Z', 'at'],
    ['/admin/streams/admin-action:abc/state', 'streamId'],
    ['/admin/ticker/box?portal=berlin', 'at'],
    ['/admin/ticker/box?at=2026-11-27T10:00:00Z', 'portal'],
    ['/admin/ticker/box?at=2026-11-27T10:00:00Z&portal=berlin&lang=fr', 'lang'],
    ['/admin/ticker/box?at=2026-11-27T10:00:00Z&portal=berlin&limit=51', 'limit'],
  ])('GET %s is a 400 problem naming %s', async (path, field) => {
    const answer = await get(path);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(field);
  });

  it('answers 404 for unknown streams and versions, 401/403 without the admin credential; a refused export is not recorded', async () => {
    expect(
      (await get(`/admin/streams/${StreamIds.job('00000000-0000-4000-8000-000000000000')}`)).status,
    ).toBe(404);
    const beyond = await get(`/admin/streams/${StreamIds.job(jobA)}/state?version=3`);
    expect([beyond.status, beyond.body.code]).toEqual([404, 'history.version-not-found']);
    for (const path of ['/admin/events', '/admin/events/export', `/admin/streams/${StreamIds.job(jobA)}`]) {
      expect((await get(path, {})).status).toBe(401);
      expect((await get(path, { authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).status).toBe(
        401,
      );
      const employer = await get(path, { authorization: `Bearer ${apiKey}` });
      expect(employer.status).toBe(403);
      expect(employer.contentType).toContain('application/problem+json');
    }
    const before = (await pageOf('type=AdminActionRecorded&limit=500')).events.length;
    expect((await get('/admin/events/export?format=xml')).status).toBe(400);
    expect((await get('/admin/events/export', {})).status).toBe(401);
    expect((await pageOf('type=AdminActionRecorded&limit=500')).events.length).toBe(before);
  });
});
