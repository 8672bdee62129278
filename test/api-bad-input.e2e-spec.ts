import { employerBody, jobBody } from '@feedwerk/testing';
import { type Client } from 'pg';
import { call, expectProblem, startApi, TEST_ADMIN_TOKEN } from './support';

/** What the table's requests refer to: credentials and jobs in known states, made in beforeAll. */
interface Fixtures {
  readonly apiKey: string;
  readonly otherKey: string;
  /** The caller's open job at version 1. */
  readonly openJob: string;
  /** The caller's closed job at version 2. */
  readonly closedJob: string;
  /** Another employer's open job. */
  readonly foreignJob: string;
  /** A blog post slug already taken. */
  readonly takenSlug: string;
}

type Case = {
  readonly name: string;
  readonly method?: 'POST' | 'PATCH' | 'GET';
  readonly path: string | ((f: Fixtures) => string);
  readonly body?: unknown;
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** A field path the problem must name, if the error is about one field. */
  readonly field?: string;
  /** true: the caller's employer key; 'other': another employer's key; 'admin': the admin token. */
  readonly auth?: boolean | 'other' | 'admin';
};

const UNKNOWN_JOB = '00000000-0000-4000-8000-00000000abcd';
const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const blogBody = (overrides: Record<string, unknown> = {}) => ({
  slug: 'karriere-tipps',
  title: 'Karriere-Tipps für Pflegekräfte',
  teaser: 'Was Arbeitgeber in der Pflege suchen.',
  author: 'Redaktion',
  ...overrides,
});
const patchJob = (f: Fixtures) => `/jobs/${f.openJob}`;
const ifMatch1 = { 'if-match': '"1"' };

const cases: Case[] = [
  {
    name: 'missing employer name',
    path: '/employers',
    body: employerBody({ name: undefined }),
    status: 400,
    field: 'name',
  },
  {
    name: 'employer name as a number',
    path: '/employers',
    body: employerBody({ name: 42 }),
    status: 400,
    field: 'name',
  },
  {
    name: 'javascript: website',
    path: '/employers',
    body: employerBody({ website: 'javascript:alert(1)' }),
    status: 400,
    field: 'website',
  },
  {
    name: 'plain http website',
    path: '/employers',
    body: employerBody({ website: 'http://example.org' }),
    status: 400,
    field: 'website',
  },
  { name: 'unknown field isAdmin', path: '/employers', body: employerBody({ isAdmin: true }), status: 400 },
  {
    name: 'NUL in the city',
    path: '/employers',
    body: employerBody({ city: 'Ber\u0000lin' }),
    status: 400,
    field: 'city',
  },
  {
    name: 'bidi override in the name',
    path: '/employers',
    body: employerBody({ name: 'Evil\u202EGmbH' }),
    status: 400,
    field: 'name',
  },
  { name: 'a JSON array', path: '/employers', body: [employerBody()], status: 400 },
  { name: 'truncated JSON', path: '/employers', body: '{"name":"a', status: 400 },
  {
    name: 'text/plain',
    path: '/employers',
    body: 'hello',
    status: 415,
    headers: { 'content-type': 'text/plain' },
  },
  {
    name: 'form data',
    path: '/employers',
    body: 'name=x',
    status: 415,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  { name: 'a 70 KB body', path: '/employers', body: employerBody({ name: 'x'.repeat(70_000) }), status: 413 },
  {
    name: 'a malformed Idempotency-Key',
    path: '/jobs',
    auth: true,
    body: jobBody(),
    status: 400,
    headers: { 'idempotency-key': 'x' },
  },
  {
    name: 'an Idempotency-Key on a registration (its answer holds a secret shown once)',
    path: '/employers',
    body: employerBody(),
    status: 400,
    headers: { 'idempotency-key': 'register-0001' },
  },
  { name: 'no API key', path: '/jobs', body: jobBody(), status: 401 },
  {
    name: 'an unknown API key',
    path: '/jobs',
    body: jobBody(),
    status: 401,
    headers: { authorization: `Bearer fwk_${'0'.repeat(16)}_${'A'.repeat(43)}` },
  },
  {
    name: 'a 10,000-character title',
    path: '/jobs',
    body: jobBody({ title: 'x'.repeat(10_000) }),
    status: 400,
    field: 'title',
    auth: true,
  },
  {
    name: 'an empty title',
    path: '/jobs',
    body: jobBody({ title: '   ' }),
    status: 400,
    field: 'title',
    auth: true,
  },
  {
    name: 'an invalid postcode',
    path: '/jobs',
    body: jobBody({ location: { city: 'Berlin', region: 'Berlin', postcode: '1234' } }),
    status: 400,
    field: 'location.postcode',
    auth: true,
  },
  {
    name: 'an unknown region',
    path: '/jobs',
    body: jobBody({ location: { city: 'Berlin', region: 'Atlantis', postcode: '10115' } }),
    status: 400,
    field: 'location.region',
    auth: true,
  },
  {
    name: 'an unknown employment type',
    path: '/jobs',
    body: jobBody({ employmentType: 'slave' }),
    status: 400,
    field: 'employmentType',
    auth: true,
  },
  {
    name: 'a portal with upper case and spaces',
    path: '/jobs',
    body: jobBody({ portal: 'Ber lin' }),
    status: 400,
    field: 'portal',
    auth: true,
  },
  {
    name: 'a smuggled employerId',
    path: '/jobs',
    body: jobBody({ employerId: '00000000-0000-4000-8000-000000000000' }),
    status: 400,
    auth: true,
  },
  { name: 'a smuggled source', path: '/jobs', body: jobBody({ source: 'import' }), status: 400, auth: true },
  {
    name: 'a __proto__ key',
    path: '/jobs',
    body: '{"__proto__":{"isAdmin":true},"title":"x"}',
    status: 400,
    auth: true,
  },
  {
    name: 'JSON nested 5,000 levels deep',
    path: '/jobs',
    body: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
    status: 400,
    auth: true,
  },
  // POST /jobs: salary and remote
  {
    name: 'a negative salary',
    path: '/jobs',
    body: jobBody({ salary: { min: -1, max: 10, currency: 'EUR', period: 'month' } }),
    status: 400,
    field: 'salary.min',
    auth: true,
  },
  {
    name: 'a salary of 1e309 (Infinity once parsed)',
    path: '/jobs',
    body: JSON.stringify(jobBody()).replace(
      /}$/,
      ',"salary":{"min":1,"max":1e309,"currency":"EUR","period":"year"}}',
    ),
    status: 400,
    field: 'salary.max',
    auth: true,
  },
  {
    name: 'a salary of "NaN"',
    path: '/jobs',
    body: jobBody({ salary: { min: 'NaN', max: 10, currency: 'EUR', period: 'year' } }),
    status: 400,
    field: 'salary.min',
    auth: true,
  },
  {
    name: 'a salary minimum above its maximum',
    path: '/jobs',
    body: jobBody({ salary: { min: 5000, max: 10, currency: 'EUR', period: 'month' } }),
    status: 400,
    field: 'salary.max',
    auth: true,
  },
  {
    name: 'remote as "yes"',
    path: '/jobs',
    body: jobBody({ remote: 'yes' }),
    status: 400,
    field: 'remote',
    auth: true,
  },
  {
    name: 'the same Idempotency-Key with another body',
    path: '/jobs',
    body: jobBody({ title: 'Ein ganz anderer Titel' }),
    status: 422,
    headers: { 'idempotency-key': 'seeded-key-0001' },
    auth: true,
  },
  {
    name: 'a 10 KB Idempotency-Key',
    path: '/jobs',
    body: jobBody(),
    status: 400,
    headers: { 'idempotency-key': 'k'.repeat(10_000) },
    auth: true,
  },
  // PATCH /jobs/:jobId
  {
    name: 'an update of a job id that is not a UUID',
    method: 'PATCH',
    path: '/jobs/42',
    body: { remote: true },
    headers: ifMatch1,
    status: 400,
    field: 'jobId',
    auth: true,
  },
  {
    name: 'an update of an unknown job',
    method: 'PATCH',
    path: `/jobs/${UNKNOWN_JOB}`,
    body: { remote: true },
    headers: ifMatch1,
    status: 404,
    auth: true,
  },
  {
    name: "an update of another employer's job",
    method: 'PATCH',
    path: (f) => `/jobs/${f.foreignJob}`,
    body: { remote: true },
    headers: ifMatch1,
    status: 403,
    auth: true,
  },
  {
    name: 'an update with a stale If-Match',
    method: 'PATCH',
    path: patchJob,
    body: { remote: true },
    headers: { 'if-match': '"7"' },
    status: 412,
    auth: true,
  },
  {
    name: 'an update without If-Match',
    method: 'PATCH',
    path: patchJob,
    body: { remote: true },
    status: 428,
    auth: true,
  },
  {
    name: 'an update with a malformed If-Match',
    method: 'PATCH',
    path: patchJob,
    body: { remote: true },
    headers: { 'if-match': 'W/"abc"' },
    status: 400,
    auth: true,
  },
  {
    name: 'an empty update',
    method: 'PATCH',
    path: patchJob,
    body: {},
    headers: ifMatch1,
    status: 400,
    auth: true,
  },
  {
    name: 'an update moving the job to another portal',
    method: 'PATCH',
    path: patchJob,
    body: { portal: 'hamburg' },
    headers: ifMatch1,
    status: 400,
    auth: true,
  },
  {
    name: 'an update smuggling the employerId',
    method: 'PATCH',
    path: patchJob,
    body: { employerId: UNKNOWN_JOB, remote: true },
    headers: ifMatch1,
    status: 400,
    auth: true,
  },
  {
    name: 'an update with a 10,000-character title',
    method: 'PATCH',
    path: patchJob,
    body: { title: 'x'.repeat(10_000) },
    headers: ifMatch1,
    status: 400,
    field: 'title',
    auth: true,
  },
  {
    name: 'an update with an invalid postcode',
    method: 'PATCH',
    path: patchJob,
    body: { location: { city: 'Berlin', region: 'Berlin', postcode: 'ABCDE' } },
    headers: ifMatch1,
    status: 400,
    field: 'location.postcode',
    auth: true,
  },
  {
    name: 'an update with a negative salary',
    method: 'PATCH',
    path: patchJob,
    body: { salary: { min: -100, max: 100, currency: 'EUR', period: 'hour' } },
    headers: ifMatch1,
    status: 400,
    field: 'salary.min',
    auth: true,
  },
  {
    name: 'an update that changes nothing',
    method: 'PATCH',
    path: patchJob,
    body: { title: jobBody().title, remote: false },
    headers: ifMatch1,
    status: 422,
    auth: true,
  },
  {
    name: 'an update of a closed job',
    method: 'PATCH',
    path: (f) => `/jobs/${f.closedJob}`,
    body: { remote: true },
    headers: { 'if-match': '"2"' },
    status: 409,
    auth: true,
  },
  {
    name: 'an update without an API key',
    method: 'PATCH',
    path: patchJob,
    body: { remote: true },
    headers: ifMatch1,
    status: 401,
  },
  {
    name: 'an update as text/plain',
    method: 'PATCH',
    path: patchJob,
    body: 'remote=true',
    headers: { ...ifMatch1, 'content-type': 'text/plain' },
    status: 415,
    auth: true,
  },
  // POST /jobs/:jobId/close
  {
    name: 'a close with an unknown reason',
    path: (f) => `/jobs/${f.openJob}/close`,
    body: { reason: 'bored' },
    status: 400,
    field: 'reason',
    auth: true,
  },
  {
    name: 'a close without a reason',
    path: (f) => `/jobs/${f.openJob}/close`,
    body: {},
    status: 400,
    field: 'reason',
    auth: true,
  },
  {
    name: 'a close of a closed job',
    path: (f) => `/jobs/${f.closedJob}/close`,
    body: { reason: 'filled' },
    status: 409,
    auth: true,
  },
  {
    name: "a close of another employer's job",
    path: (f) => `/jobs/${f.foreignJob}/close`,
    body: { reason: 'filled' },
    status: 403,
    auth: true,
  },
  {
    name: 'a close of an unknown job',
    path: `/jobs/${UNKNOWN_JOB}/close`,
    body: { reason: 'filled' },
    status: 404,
    auth: true,
  },
  {
    name: 'a close with a stale If-Match',
    path: (f) => `/jobs/${f.openJob}/close`,
    body: { reason: 'filled' },
    headers: { 'if-match': '"3"' },
    status: 412,
    auth: true,
  },
  // POST /jobs/refresh
  {
    name: 'a refresh of 501 ids',
    path: '/jobs/refresh',
    body: { jobIds: ids(501) },
    status: 400,
    field: 'jobIds',
    auth: true,
  },
  {
    name: 'a refresh of no ids',
    path: '/jobs/refresh',
    body: { jobIds: [] },
    status: 400,
    field: 'jobIds',
    auth: true,
  },
  {
    name: 'a refresh with a non-UUID id',
    path: '/jobs/refresh',
    body: { jobIds: ['job-1'] },
    status: 400,
    field: 'jobIds.0',
    auth: true,
  },
  {
    name: 'a refresh with ids as a string',
    path: '/jobs/refresh',
    body: { jobIds: UNKNOWN_JOB },
    status: 400,
    field: 'jobIds',
    auth: true,
  },
  {
    name: 'a refresh listing an unknown job',
    path: '/jobs/refresh',
    body: (f: Fixtures) => ({ jobIds: [f.openJob, UNKNOWN_JOB] }),
    status: 404,
    auth: true,
  },
  {
    name: "a refresh listing another employer's job",
    path: '/jobs/refresh',
    body: (f: Fixtures) => ({ jobIds: [f.openJob, f.foreignJob] }),
    status: 403,
    auth: true,
  },
  {
    name: 'a refresh listing a closed job',
    path: '/jobs/refresh',
    body: (f: Fixtures) => ({ jobIds: [f.openJob, f.closedJob] }),
    status: 409,
    auth: true,
  },
  // POST /jobs/import
  {
    name: 'an import of no jobs',
    path: '/jobs/import',
    body: { jobs: [] },
    status: 400,
    field: 'jobs',
    auth: true,
  },
  {
    name: 'an import of 501 jobs',
    path: '/jobs/import',
    body: { jobs: Array.from({ length: 501 }, () => jobBody()) },
    status: 400,
    field: 'jobs',
    auth: true,
  },
  {
    name: 'an import with one invalid postcode among valid jobs (all or nothing)',
    path: '/jobs/import',
    body: {
      jobs: [
        jobBody(),
        jobBody({ location: { city: 'Köln', region: 'Nordrhein-Westfalen', postcode: '0' } }),
        jobBody(),
      ],
    },
    status: 400,
    field: 'jobs.1.location.postcode',
    auth: true,
  },
  {
    name: 'an import smuggling source=direct',
    path: '/jobs/import',
    body: { jobs: [jobBody({ source: 'direct' })] },
    status: 400,
    auth: true,
  },
  {
    name: 'an import body over 2 MiB',
    path: '/jobs/import',
    body: { jobs: Array.from({ length: 150 }, () => jobBody({ description: 'x'.repeat(15_000) })) },
    status: 413,
    auth: true,
  },
  // POST /blog-posts (admin only)
  {
    name: 'a blog post with an employer key',
    path: '/blog-posts',
    body: blogBody(),
    status: 403,
    auth: true,
  },
  { name: 'a blog post without a credential', path: '/blog-posts', body: blogBody(), status: 401 },
  {
    name: 'a blog post with a wrong admin token',
    path: '/blog-posts',
    body: blogBody(),
    status: 401,
    headers: { authorization: `Bearer ${'x'.repeat(40)}` },
  },
  {
    name: 'a blog post with an invalid slug',
    path: '/blog-posts',
    body: blogBody({ slug: 'Hello World' }),
    status: 400,
    field: 'slug',
    auth: 'admin',
  },
  {
    name: 'a blog post without a teaser',
    path: '/blog-posts',
    body: blogBody({ teaser: undefined }),
    status: 400,
    field: 'teaser',
    auth: 'admin',
  },
  {
    name: 'a blog post with a bidi override in the title',
    path: '/blog-posts',
    body: blogBody({ title: 'Tipps \u202Egnudrewbe' }),
    status: 400,
    field: 'title',
    auth: 'admin',
  },
  {
    name: 'a blog post under a taken slug',
    path: '/blog-posts',
    body: (f: Fixtures) => blogBody({ slug: f.takenSlug }),
    status: 409,
    auth: 'admin',
  },
  // The read side
  { name: 'a listing with limit 1000', method: 'GET', path: '/jobs?limit=1000', status: 400, field: 'limit' },
  {
    name: 'a listing in an unknown region',
    method: 'GET',
    path: '/jobs?region=Atlantis',
    status: 400,
    field: 'region',
  },
  {
    name: 'a listing with a forged cursor',
    method: 'GET',
    path: '/jobs?cursor=garbage',
    status: 400,
    field: 'cursor',
  },
  {
    name: 'a search text with a NUL character',
    method: 'GET',
    path: '/jobs?text=Pf%00lege',
    status: 400,
    field: 'text',
  },
  {
    name: 'a listing filtered twice by region',
    method: 'GET',
    path: '/jobs?region=Berlin&region=Bayern',
    status: 400,
    field: 'region',
  },
  {
    name: 'a listing with a non-numeric limit',
    method: 'GET',
    path: '/jobs?limit=abc',
    status: 400,
    field: 'limit',
  },
  { name: 'a listing with an unknown parameter', method: 'GET', path: '/jobs?isAdmin=1', status: 400 },
  {
    name: 'a job id that is not a UUID',
    method: 'GET',
    path: '/jobs/not-a-uuid',
    status: 400,
    field: 'jobId',
  },
  { name: 'an unknown job', method: 'GET', path: `/jobs/${UNKNOWN_JOB}`, status: 404 },
  { name: 'an unknown employer', method: 'GET', path: `/employers/${UNKNOWN_JOB}`, status: 404 },
];

describe('bad input on the command and read endpoints', () => {
  let started: Awaited<ReturnType<typeof startApi>>;
  let db: Client;
  let apiKey: string;
  let fixtures: Fixtures;

  beforeAll(async () => {
    // Nothing listens there: the api must neither need nor wait for Kafka (the outbox absorbs outages).
    started = await startApi({ KAFKA_BROKERS: '127.0.0.1:1' });
    db = started.db;
    const url = started.url;
    const registerKey = async () =>
      String((await call(url, 'POST', '/employers', employerBody())).body.apiKey);
    apiKey = await registerKey();
    const otherKey = await registerKey();
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const postJob = async (key: string) =>
      String((await call(url, 'POST', '/jobs', jobBody(), auth(key))).body.jobId);
    const closedJob = await postJob(apiKey);
    expect(
      (await call(url, 'POST', `/jobs/${closedJob}/close`, { reason: 'expired' }, auth(apiKey))).status,
    ).toBe(200);
    const takenSlug = 'schon-vergeben';
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    expect((await call(url, 'POST', '/blog-posts', blogBody({ slug: takenSlug }), admin)).status).toBe(201);
    const seeded = await call(url, 'POST', '/jobs', jobBody(), {
      ...auth(apiKey),
      'idempotency-key': 'seeded-key-0001',
    });
    expect(seeded.status).toBe(201);
    fixtures = {
      apiKey,
      otherKey,
      openJob: await postJob(apiKey),
      closedJob,
      foreignJob: await postJob(otherKey),
      takenSlug,
    };
  }, 60_000);

  afterAll(() => started?.stop());

  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n);

  it('has a table of at least 40 bad inputs', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('answers $name with $status and a reason, and appends nothing', async (c) => {
    const before = await eventCount();
    const credential =
      c.auth === 'admin'
        ? TEST_ADMIN_TOKEN
        : c.auth === 'other'
          ? fixtures.otherKey
          : c.auth
            ? fixtures.apiKey
            : null;
    const body = typeof c.body === 'function' ? (c.body as (f: Fixtures) => unknown)(fixtures) : c.body;
    const path = typeof c.path === 'function' ? c.path(fixtures) : c.path;
    const method = c.method ?? 'POST';
    const response = await fetch(`${started.url}${path}`, {
      method,
      headers: {
        ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        ...c.headers,
      },
      body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    await expectProblem(response, c.status, c.field);
    // Every answer, errors included, keeps the security headers.
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await eventCount()).toBe(before);
    // The service stays up after every bad input.
    expect((await fetch(`${started.url}/health/live`)).status).toBe(200);
  });

  it('is ready and takes commands while Kafka is unreachable', async () => {
    const ready = await fetch(`${started.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: true } });
  });

  it('replays the first answer to a retried Idempotency-Key and appends one event', async () => {
    const before = await eventCount();
    const send = (body: unknown) =>
      fetch(`${started.url}/jobs`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${apiKey}`,
          'idempotency-key': 'retry-0001',
        },
        body: JSON.stringify(body),
      });
    const first = await send(jobBody());
    const retry = await send(jobBody());
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual(await first.json());
    expect(await eventCount()).toBe(before + 1);
    const reused = await send(jobBody({ title: 'Ein anderer Titel' }));
    expect(reused.status).toBe(422);
    expect(await eventCount()).toBe(before + 1);
  });

  it('lets one of three concurrent requests with the same Idempotency-Key append; the others get 409 or its answer', async () => {
    const before = await eventCount();
    const send = () =>
      call(started.url, 'POST', '/jobs', jobBody({ title: 'Gleichzeitig gesendet' }), {
        authorization: `Bearer ${apiKey}`,
        'idempotency-key': 'concurrent-0001',
      });
    const answers = await Promise.all([send(), send(), send()]);
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => JSON.stringify(a.body))).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      expect(a.body.code).toBe('idempotency-key-in-flight');
      expect(a.headers.get('retry-after')).toBe('1');
    }
    expect(await eventCount()).toBe(before + 1);
  });

  it('accepts script-looking text as data (it is stored raw and rendered as text)', async () => {
    const response = await fetch(`${started.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(jobBody({ title: `<img src=x onerror=alert(1)> '; DROP TABLE events;--` })),
    });
    expect(response.status).toBe(201);
    const { rows } = await db.query(
      `SELECT data->>'title' AS title FROM events WHERE type = 'JobPosted' ORDER BY global_position DESC LIMIT 1`,
    );
    expect(rows[0].title).toBe(`<img src=x onerror=alert(1)> '; DROP TABLE events;--`);
  });
});
