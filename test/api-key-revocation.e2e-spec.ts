import { employerBody, jobBody, waitFor } from '@feedwerk/testing';
import { call, startApi } from './support';

/**
 * The api keeps verified API keys in memory for API_KEY_CACHE_TTL_MS: a key revoked (or replaced)
 * in PostgreSQL while its entry is warm must be refused once that time is up, by real requests.
 */
describe('revoking an API key the api has cached', () => {
  let started: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    started = await startApi({
      API_KEY_CACHE_TTL_MS: '1000',
    });
  }, 60_000);
  afterAll(() => started.stop());

  const postings = async () =>
    Number((await started.db.query(`SELECT count(*) AS n FROM events WHERE type = 'JobPosted'`)).rows[0].n);
  const register = async () =>
    String((await call(started.url, 'POST', '/employers', employerBody())).body.apiKey);
  const postJob = (apiKey: string) =>
    call(started.url, 'POST', '/jobs', jobBody(), { authorization: `Bearer ${apiKey}` });

  it('refuses the revoked key (401, nothing stored) while another key of the same process keeps working', async () => {
    const revoked = await register();
    const kept = await register();
    // Warm: both keys verified and cached by the api.
    for (let i = 0; i < 3; i += 1) {
      expect((await postJob(revoked)).status).toBe(201);
      expect((await postJob(kept)).status).toBe(201);
    }

    const keyId = revoked.split('_')[1];
    expect(
      (await started.db.query(`UPDATE api_keys SET revoked_at = now() WHERE key_id = $1`, [keyId])).rowCount,
    ).toBe(1);

    const refused = await waitFor(
      'the api to refuse the revoked key',
      async () => {
        const answer = await postJob(revoked);
        return answer.status === 401 ? answer : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.headers.get('www-authenticate')).toContain('Bearer');
    expect(refused.body).toMatchObject({ status: 401, code: 'unauthorized' });

    // From then on it stays refused and stores nothing.
    const before = await postings();
    for (let i = 0; i < 3; i += 1) expect((await postJob(revoked)).status).toBe(401);
    expect(await postings()).toBe(before);
    expect((await postJob(kept)).status).toBe(201);
    expect(await postings()).toBe(before + 1);
  });

  it('refuses a cached key id with another secret, at once', async () => {
    const apiKey = await register();
    expect((await postJob(apiKey)).status).toBe(201);
    const secret = apiKey.slice(-43);
    const forged = apiKey.slice(0, -43) + (secret.startsWith('A') ? 'B' : 'A') + secret.slice(1);
    const before = await postings();
    const answer = await postJob(forged);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await postings()).toBe(before);
  });
});
