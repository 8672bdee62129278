import {
  employerBody,
  jobBody,
  type OwnPostgres,
  startOwnPostgres,
  testAppEnv,
  waitFor,
} from '@feedwerk/testing';
import { type AppProcess, spawnApp } from './processes';
import { call } from './support';

/**
 * PostgreSQL crashes under running apps (reliability.md row 13, fault F10): commands answer 503
 * problem+json with Retry-After, never 500, no process dies, and when the server is back the same
 * processes take commands again and the events flow through relay and projector to the read model.
 * The database is a cluster of this test's own; the shared one is never touched.
 */
describe('PostgreSQL crash and restart under api, relay and projector', () => {
  let pg: OwnPostgres;
  const apps: AppProcess[] = [];
  let api: AppProcess;

  beforeAll(async () => {
    pg = await startOwnPostgres();
    const env = testAppEnv(pg.url, { TOPIC_PARTITIONS: '1', RELAY_IDLE_POLL_MS: '100' });
    api = await spawnApp('api', env);
    apps.push(api);
    apps.push(...(await Promise.all([spawnApp('relay', env), spawnApp('projector', env)])));
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) if (app.alive()) app.child.kill('SIGKILL');
    await pg?.destroy();
  });

  it('answers 503 with Retry-After while the database is down and recovers in the same processes', async () => {
    const employer = await call(api.url, 'POST', '/employers', employerBody());
    expect(employer.status).toBe(201);
    const auth = { authorization: `Bearer ${String(employer.body.apiKey)}` };
    const before = await call(api.url, 'POST', '/jobs', jobBody({ title: 'Vor dem Absturz' }), auth);
    expect(before.status).toBe(201);
    await waitFor('the first job in the read model', async () => {
      const read = await call(api.url, 'GET', `/jobs/${String(before.body.jobId)}`);
      return read.status === 200;
    });

    await pg.crash();

    // Several commands: the first ones meet dead pooled connections, the later ones a refused connect.
    for (let i = 0; i < 4; i += 1) {
      const during = await call(api.url, 'POST', '/jobs', jobBody({ title: `Während ${i}` }), auth);
      expect(during.status).toBe(503);
      expect(during.contentType).toMatch(/^application\/problem\+json/);
      expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(during.body).toMatchObject({ status: 503, code: 'unavailable' });
    }
    const read = await call(api.url, 'GET', `/jobs/${String(before.body.jobId)}`);
    expect({ status: read.status, retryAfter: read.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
    });
    // Relay and projector meet the outage too (polling, listener, leader lock); none of them may die.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(apps.filter((a) => !a.alive()).map((a) => `${a.app}:\n${a.output()}`)).toEqual([]);

    await pg.restart();

    const seen: number[] = [];
    const after = await waitFor(
      'a command to succeed after the restart',
      async () => {
        const response = await call(api.url, 'POST', '/jobs', jobBody({ title: 'Nach dem Neustart' }), auth);
        seen.push(response.status);
        return response.status === 201 ? response : false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // Until the pool reconnects the answer is 503, never anything else.
    expect(seen.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    await waitFor(
      'the job posted after the restart in the read model (relay and projector recovered)',
      async () => (await call(api.url, 'GET', `/jobs/${String(after.body.jobId)}`)).status === 200,
      { timeoutMs: 60_000 },
    );
    expect(apps.filter((a) => !a.alive()).map((a) => a.app)).toEqual([]);
    // The apps said what happened (the pools' error handlers log instead of crashing).
    expect(apps.map((a) => a.output()).join('\n')).toMatch(/PostgreSQL connection failed|batch failed/);
    // Nothing crashed quietly either: no unhandled rejection was reported.
    for (const app of apps) expect(app.output()).not.toMatch(/unhandled rejection/);

    const codes = await Promise.all(apps.map((app) => app.terminate()));
    expect(codes).toEqual([0, 0, 0]);
  }, 180_000);
});
