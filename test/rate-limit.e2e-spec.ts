import { employerBody, jobBody } from '@feedwerk/testing';
import { call, startApi } from './support';

describe('rate limits per API key and per IP', () => {
  let started: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    started = await startApi({
      RATE_LIMIT_PER_KEY: '3',
      RATE_LIMIT_PER_IP: '12',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
  }, 60_000);
  afterAll(() => started.stop());

  const events = async () => Number((await started.db.query('SELECT count(*) AS n FROM events')).rows[0].n);

  it("answers 429 with Retry-After once a key's budget is spent, other keys unaffected, then per IP", async () => {
    const url = started.url;
    // Requests 1 and 2 of the IP budget (12): two sign-ups.
    const a = await call(url, 'POST', '/employers', employerBody());
    const b = await call(url, 'POST', '/employers', employerBody());
    const keyA = { authorization: `Bearer ${String(a.body.apiKey)}` };
    const keyB = { authorization: `Bearer ${String(b.body.apiKey)}` };

    for (let i = 0; i < 3; i += 1)
      expect((await call(url, 'POST', '/jobs', jobBody(), keyA)).status).toBe(201);
    const before = await events();
    const limited = await call(url, 'POST', '/jobs', jobBody(), keyA);
    expect(limited.status).toBe(429);
    expect(limited.contentType).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(await events()).toBe(before);

    // Another tenant's key still has its own budget (requests 7-9 of the IP's 12).
    for (let i = 0; i < 3; i += 1)
      expect((await call(url, 'POST', '/jobs', jobBody(), keyB)).status).toBe(201);

    // The IP budget: 9 used (the 429 counted too), 3 left for anonymous reads, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await call(url, 'GET', '/jobs')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const blocked = await call(url, 'GET', '/jobs');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    // Health checks are not throttled: the service stays observable.
    expect((await call(url, 'GET', '/health/live')).status).toBe(200);
  });
});
