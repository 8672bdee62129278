import { randomBytes } from 'node:crypto';
import { hashSecret } from '@feedwerk/platform';

/**
 * Candidate tokens: `fwc_<keyId>_<secret>`, the same scheme as employer API keys (key id finds the row,
 * only a salted SHA-256 of the 256-bit secret is stored, compared in constant time) under its own
 * prefix and table, so an employer key can never pass for a candidate token. Shown once, on the first
 * upload; it lets an anonymous candidate read, download and erase their own data.
 */
export interface IssuedCandidateToken {
  readonly token: string;
  readonly keyId: string;
  readonly salt: string;
  readonly hash: string;
}

export function issueCandidateToken(): IssuedCandidateToken {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return { token: `fwc_${keyId}_${secret}`, keyId, salt, hash: hashSecret(salt, secret) };
}

export function parseCandidateToken(token: string): { keyId: string; secret: string } | null {
  const match = /^fwc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  return match?.[1] && match[2] ? { keyId: match[1], secret: match[2] } : null;
}
