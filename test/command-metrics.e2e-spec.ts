import { employerBody, jobBody } from '@feedwerk/testing';
import { metricValue } from './built-apps';
import { call, startApi } from './support';

/**
 * feedwerk_commands_total counts every request that reached a command, by the status it was
 * answered with; requests refused before (by Fastify, by a guard) are not commands.
 */
describe('commands counted by type and outcome', () => {
  let started: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    started = await startApi({
      RATE_LIMIT_PER_KEY: '4',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
  }, 60_000);
  afterAll(async () => {
    await started.stop();
  });

  const counted = async () => {
    const text = await (await fetch(`${started.url}/metrics`)).text();
    const count = (command: string, outcome: string) =>
      metricValue(text, 'feedwerk_commands_total', { command, outcome }) ?? 0;
    return {
      registered: count('RegisterEmployer', 'accepted'),
      posted: count('PostJob', 'accepted'),
      postRejected: count('PostJob', 'rejected'),
      updateConflict: count('UpdateJob', 'conflict'),
      updateRejected: count('UpdateJob', 'rejected'),
    };
  };

  it('counts accepted, rejected and conflicting commands, and nothing that a guard or the parser refused', async () => {
    const url = started.url;
    const registered = await call(url, 'POST', '/employers', employerBody());
    expect(registered.status).toBe(201);
    const auth = { authorization: `Bearer ${String(registered.body.apiKey)}` };

    // Reach the commands (requests 1-4 of the key's budget of 4).
    const posted = await call(url, 'POST', '/jobs', jobBody(), auth);
    expect(posted.status).toBe(201);
    expect((await call(url, 'POST', '/jobs', jobBody({ title: '' }), auth)).status).toBe(400);
    const jobPath = `/jobs/${String(posted.body.jobId)}`;
    expect((await call(url, 'PATCH', jobPath, { remote: true }, { ...auth, 'if-match': '"7"' })).status).toBe(
      412,
    );
    expect((await call(url, 'PATCH', jobPath, { remote: true }, auth)).status).toBe(428);

    // Refused before any command: a guard (no key, a wrong key, the spent budget) or the parser.
    expect((await call(url, 'POST', '/jobs', jobBody())).status).toBe(401);
    expect(
      (await call(url, 'POST', '/jobs', '{"title":', { 'content-type': 'application/json' })).status,
    ).toBe(400);
    expect((await call(url, 'POST', '/jobs', jobBody(), auth)).status).toBe(429);

    expect(await counted()).toEqual({
      registered: 1,
      posted: 1,
      postRejected: 1,
      updateConflict: 1,
      updateRejected: 1,
    });
  });
});
