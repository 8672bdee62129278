import { type StartedApp, startApp } from '@feedwerk/platform';
import { createTestDatabase, employerBody, jobBody } from '@feedwerk/testing';
import { Client } from 'pg';
import { ApiModule } from '../apps/api/src/api.module';

type Case = {
  readonly name: string;
  readonly path: '/employers' | '/jobs';
  readonly body: unknown;
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** A field path the problem must name, if the error is about one field. */
  readonly field?: string;
  readonly auth?: boolean;
};

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
];

describe('bad input on the command endpoints', () => {
  let started: StartedApp;
  let drop: () => Promise<void>;
  let db: Client;
  let apiKey: string;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    started = await startApp(
      {
        app: 'api',
        requires: ['postgres'],
        transport: false,
        env: {
          DATABASE_URL: database.url,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          // Nothing listens there: the api must neither need nor wait for Kafka (the outbox absorbs outages).
          KAFKA_BROKERS: '127.0.0.1:1',
        },
      },
      ApiModule,
    );
    db = new Client({ connectionString: database.url });
    await db.connect();
    const response = await fetch(`${started.url}/employers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(employerBody()),
    });
    apiKey = ((await response.json()) as { apiKey: string }).apiKey;
  }, 60_000);

  afterAll(async () => {
    await db.end();
    await started.app.close();
    await drop();
  });

  const eventCount = async () => Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n);

  it.each(cases)('answers $name with $status and a reason, and appends nothing', async (c) => {
    const before = await eventCount();
    const response = await fetch(`${started.url}${c.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(c.auth ? { authorization: `Bearer ${apiKey}` } : {}),
        ...c.headers,
      },
      body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
    });
    expect(response.status).toBe(c.status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as {
      status: number;
      detail: string;
      errors?: { path: string }[];
    };
    expect(problem.status).toBe(c.status);
    expect(problem.detail.length).toBeGreaterThan(0);
    if (c.field) expect(problem.errors?.map((e) => e.path)).toContain(c.field);
    expect(await eventCount()).toBe(before);
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
