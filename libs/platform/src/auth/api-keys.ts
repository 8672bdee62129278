import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Employer API keys: `fwk_<keyId>_<secret>`. The key id finds the row; only a salted SHA-256 of the
 * secret is stored (the secret is 256 random bits, so a slow hash adds nothing), compared in
 * constant time. The plain key is shown once, in the registration answer.
 */
export interface IssuedApiKey {
  readonly apiKey: string;
  readonly keyId: string;
  readonly salt: string;
  readonly hash: string;
}

export const hashSecret = (salt: string, secret: string): string =>
  createHash('sha256').update(salt).update(secret).digest('hex');

export function issueApiKey(): IssuedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return { apiKey: `fwk_${keyId}_${secret}`, keyId, salt, hash: hashSecret(salt, secret) };
}

export function parseApiKey(apiKey: string): { keyId: string; secret: string } | null {
  const match = /^fwk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(apiKey);
  return match?.[1] && match[2] ? { keyId: match[1], secret: match[2] } : null;
}

export function verifySecret(secret: string, salt: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(salt, secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
