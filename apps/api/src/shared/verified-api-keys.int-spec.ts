import { randomUUID } from 'node:crypto';
import { issueApiKey, type OpenedDatabase, parseApiKey } from '@feedwerk/platform';
import { openTestDatabase, waitFor } from '@feedwerk/testing';
import { VerifiedApiKeys } from './verified-api-keys';

describe('verified API keys (the api key cache)', () => {
  let database: OpenedDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  /** A stored key of a new employer; answers its parts and the employer. */
  async function storedKey() {
    const issued = issueApiKey();
    const employerId = randomUUID();
    await database.dataSource.query(
      `INSERT INTO api_keys (key_id, employer_id, salt, hash) VALUES ($1, $2, $3, $4)`,
      [issued.keyId, employerId, issued.salt, issued.hash],
    );
    const parsed = parseApiKey(issued.apiKey);
    if (!parsed) throw new Error('issued an unparsable key');
    return { ...parsed, employerId };
  }
  const revoke = (keyId: string) =>
    database.dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE key_id = $1`, [keyId]);
  const otherSecret = (secret: string) => (secret.startsWith('A') ? 'B' : 'A') + secret.slice(1);

  it('answers a verified key from memory within the TTL, and never lets another secret in', async () => {
    const keys = new VerifiedApiKeys(database.dataSource, { ttlMs: 60_000 });
    const key = await storedKey();
    expect(await keys.employerOf(key.keyId, key.secret)).toBe(key.employerId);

    await revoke(key.keyId);
    // Still answered: from memory, without reading the (now revoked) row.
    expect(await keys.employerOf(key.keyId, key.secret)).toBe(key.employerId);
    // The cached key id with any other secret is refused.
    expect(await keys.employerOf(key.keyId, otherSecret(key.secret))).toBeNull();
  });

  it('refuses a revoked key once its entry expired', async () => {
    const keys = new VerifiedApiKeys(database.dataSource, { ttlMs: 200 });
    const key = await storedKey();
    expect(await keys.employerOf(key.keyId, key.secret)).toBe(key.employerId);
    await revoke(key.keyId);
    await waitFor('the revoked key to be refused', async () =>
      (await keys.employerOf(key.keyId, key.secret)) === null ? true : undefined,
    );
    // And it stays refused: a refusal is never cached as the old answer.
    expect(await keys.employerOf(key.keyId, key.secret)).toBeNull();
  });

  it('reads every request from PostgreSQL with a TTL of 0', async () => {
    const keys = new VerifiedApiKeys(database.dataSource, { ttlMs: 0 });
    const key = await storedKey();
    expect(await keys.employerOf(key.keyId, key.secret)).toBe(key.employerId);
    await revoke(key.keyId);
    expect(await keys.employerOf(key.keyId, key.secret)).toBeNull();
    expect(keys.size).toBe(0);
  });

  it('keeps only keys that verified, and at most `max` of them', async () => {
    const keys = new VerifiedApiKeys(database.dataSource, { ttlMs: 60_000, max: 3 });
    const wrong = await storedKey();
    const revoked = await storedKey();
    await revoke(revoked.keyId);
    for (let i = 0; i < 50; i += 1) {
      const unknown = parseApiKey(issueApiKey().apiKey)!;
      expect(await keys.employerOf(unknown.keyId, unknown.secret)).toBeNull();
    }
    expect(await keys.employerOf(wrong.keyId, otherSecret(wrong.secret))).toBeNull();
    expect(await keys.employerOf(revoked.keyId, revoked.secret)).toBeNull();
    expect(keys.size).toBe(0);

    const valid = await Promise.all([1, 2, 3, 4, 5].map(() => storedKey()));
    for (const key of valid) expect(await keys.employerOf(key.keyId, key.secret)).toBe(key.employerId);
    expect(keys.size).toBe(3);
    // An evicted key is read again, not refused.
    expect(await keys.employerOf(valid[0]!.keyId, valid[0]!.secret)).toBe(valid[0]!.employerId);
  });
});
