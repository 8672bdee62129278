import { employerBody, jobBody, uniqueName, waitFor } from '@feedwerk/testing';
import { call, type Deployment, startDistributed, startEmbedded, TEST_ADMIN_TOKEN } from './support';

type Json = Record<string, unknown>;

describe.each([
  ['the embedded default (PGlite, in-process transport)', startEmbedded],
  ['Kafka and PostgreSQL, one process per app', startDistributed],
])('jobs, employers and blog posts on %s', (_mode, start) => {
  let deployment: Deployment;
  let api: string;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    deployment = await start();
    api = deployment.apiUrl;
  }, 90_000);
  afterAll(() => deployment?.stop(), 60_000);

  const register = async () => {
    const { status, body } = await call(api, 'POST', '/employers', employerBody());
    expect(status).toBe(201);
    return { employerId: String(body.employerId), auth: bearer(String(body.apiKey)) };
  };
  /** The read model is eventually consistent: wait until the job shows `version`. */
  const readJob = (jobId: string, version: number) =>
    waitFor(
      `job ${jobId} at version ${version} in the read model`,
      async () => {
        const r = await call(api, 'GET', `/jobs/${jobId}`);
        return r.status === 200 && r.body.version === version ? r : false;
      },
      { timeoutMs: 30_000 },
    );

  it('posts, updates with If-Match and closes a job, and the read side follows', async () => {
    const portal = uniqueName('p-');
    const owner = await register();
    const stranger = await register();
    const posted = await call(
      api,
      'POST',
      '/jobs',
      jobBody({
        portal,
        salary: { min: 42_000, max: 52_000, currency: 'EUR', period: 'year' },
        remote: true,
      }),
      owner.auth,
    );
    expect(posted).toMatchObject({ status: 201, body: { jobId: expect.any(String), version: 1 } });
    const jobId = String(posted.body.jobId);

    const read = await readJob(jobId, 1);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body).toMatchObject({
      jobId,
      employerId: owner.employerId,
      status: 'open',
      source: 'direct',
      remote: true,
      salary: { min: 42_000, max: 52_000, currency: 'EUR', period: 'year' },
    });

    const path = `/jobs/${jobId}`;
    const change = { title: 'Pflegefachkraft (m/w/d) – Teilzeit', employmentType: 'part-time' };
    expect((await call(api, 'PATCH', path, change, owner.auth)).status).toBe(428);
    expect((await call(api, 'PATCH', path, change, { ...stranger.auth, 'if-match': '"1"' })).status).toBe(
      403,
    );
    const updated = await call(api, 'PATCH', path, change, { ...owner.auth, 'if-match': '"1"' });
    expect(updated).toMatchObject({ status: 200, body: { jobId, version: 2 } });
    expect(updated.headers.get('etag')).toBe('"2"');
    const stale = await call(api, 'PATCH', path, { remote: false }, { ...owner.auth, 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.contentType).toContain('application/problem+json');
    const noop = await call(api, 'PATCH', path, change, { ...owner.auth, 'if-match': '2' });
    expect(noop.status).toBe(422);

    expect((await readJob(jobId, 2)).body).toMatchObject(change);
    expect((await call(api, 'POST', `${path}/close`, { reason: 'filled' }, stranger.auth)).status).toBe(403);
    const closed = await call(api, 'POST', `${path}/close`, { reason: 'filled' }, owner.auth);
    expect(closed).toMatchObject({ status: 200, body: { jobId, version: 3 } });
    expect((await call(api, 'POST', `${path}/close`, { reason: 'filled' }, owner.auth)).status).toBe(409);
    expect(
      (await call(api, 'PATCH', path, { remote: false }, { ...owner.auth, 'if-match': '3' })).status,
    ).toBe(409);

    expect((await readJob(jobId, 3)).body).toMatchObject({ status: 'closed', closeReason: 'filled' });
    // Closed jobs leave the listing but stay readable by id.
    const listed = await call(api, 'GET', `/jobs?portal=${portal}`);
    expect(listed.body).toEqual({ items: [], nextCursor: null });
  });

  it('imports jobs in one call, refreshes them in one command and pages through them', async () => {
    const portal = uniqueName('p-');
    const owner = await register();
    const titles = ['Koch (m/w/d)', 'Köchin – Frühschicht', 'Servicekraft', 'Spüler', 'Barista'];
    const imported = await call(
      api,
      'POST',
      '/jobs/import',
      { jobs: titles.map((title) => jobBody({ portal, title, category: 'gastro' })) },
      { ...owner.auth, 'idempotency-key': `import-${uniqueName('')}` },
    );
    expect(imported.status).toBe(201);
    expect(imported.body.count).toBe(5);
    const jobIds = (imported.body.jobs as { jobId: string; version: number }[]).map((j) => j.jobId);
    expect(new Set(jobIds).size).toBe(5);

    const pages = await waitFor(
      'all five imported jobs listed',
      async () => {
        const seen: Json[][] = [];
        let cursor: string | null = null;
        do {
          const query: string = `/jobs?portal=${portal}&category=gastro&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await call(api, 'GET', query);
          if (page.status !== 200) return false;
          seen.push(page.body.items as Json[]);
          cursor = page.body.nextCursor as string | null;
        } while (cursor);
        return seen.flat().length === 5 ? seen : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().every((j) => j.source === 'import' && j.employerId === owner.employerId)).toBe(true);
    expect(new Set(pages.flat().map((j) => j.jobId))).toEqual(new Set(jobIds));

    const text = await call(api, 'GET', `/jobs?portal=${portal}&text=${encodeURIComponent('köchin')}`);
    expect((text.body.items as Json[]).map((j) => j.title)).toEqual(['Köchin – Frühschicht']);

    const refreshed = await call(
      api,
      'POST',
      '/jobs/refresh',
      { jobIds: [...jobIds, jobIds[0]] },
      owner.auth,
    );
    expect(refreshed).toMatchObject({ status: 200, body: { count: 5, refreshId: expect.any(String) } });
    const employer = await waitFor(
      'the refresh in the employer read model',
      async () => {
        const r = await call(api, 'GET', `/employers/${owner.employerId}`);
        return r.status === 200 && r.body.lastRefreshAt ? r.body : false;
      },
      { timeoutMs: 30_000 },
    );
    expect(employer).toMatchObject({ employerId: owner.employerId, name: employerBody().name, openJobs: 5 });
    const job = await call(api, 'GET', `/jobs/${jobIds[0]}`);
    expect(job.body.refreshedAt).toBe(employer.lastRefreshAt);
  });

  it('publishes a blog post for admins only, one post per slug', async () => {
    const slug = uniqueName('tipps-');
    const post = {
      slug,
      title: 'Zehn Tipps für die Bewerbung',
      teaser: 'Was Personaler wirklich lesen.',
      author: 'Redaktion',
    };
    const admin = bearer(TEST_ADMIN_TOKEN);
    const employer = await register();
    expect((await call(api, 'POST', '/blog-posts', post, employer.auth)).status).toBe(403);
    expect((await call(api, 'POST', '/blog-posts', post)).status).toBe(401);
    const published = await call(api, 'POST', '/blog-posts', post, admin);
    expect(published).toMatchObject({ status: 201, body: { postId: expect.any(String), slug } });
    const again = await call(api, 'POST', '/blog-posts', { ...post, title: 'Ein anderer Titel' }, admin);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('blog-post.slug-taken');
  });

  it('serves the API reference at /docs beside the other routes', async () => {
    const document = await call(api, 'GET', '/docs/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths as Json)).toEqual(
      expect.arrayContaining([
        '/jobs',
        '/jobs/{jobId}',
        '/jobs/refresh',
        '/blog-posts',
        '/employers/{employerId}',
      ]),
    );
    const page = await call(api, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.contentType).toContain('text/html');
  });

  it('stores HTML, emoji, umlauts and right-to-left text as text and reads them back unchanged', async () => {
    const owner = await register();
    const title = '<b>Pflege</b> 💉 Größe & Übung – مرحبا שלום';
    const posted = await call(api, 'POST', '/jobs', jobBody({ title }), owner.auth);
    expect(posted.status).toBe(201);
    const read = await readJob(String(posted.body.jobId), 1);
    expect(read.body.title).toBe(title);
    expect(read.contentType).toContain('application/json');
  });
});
