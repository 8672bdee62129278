import { verifySecret } from '@feedwerk/platform';
import { LRUCache } from 'lru-cache';
import { type DataSource } from 'typeorm';

interface KeyRow {
  readonly employerId: string;
  readonly salt: string;
  readonly hash: string;
}

/** At most this many verified keys are kept per process by default (least recently used go first). */
export const VERIFIED_KEYS_MAX = 10_000;

/**
 * Employer API keys that were verified recently, so that a busy client costs no PostgreSQL round
 * trip per request. Security rules:
 * - Only a key whose secret matched a live (not revoked) row is kept, and the secret is checked
 *   against the stored salted hash on every request, cached or not: a cached key id never lets
 *   another secret in. Unknown, malformed, revoked or wrong keys are never kept, so guessing
 *   cannot fill the cache; its size is bounded anyway (LRU).
 * - An entry lives at most API_KEY_CACHE_TTL_MS (default 5 s; 0 turns caching off): a key revoked
 *   or rotated in PostgreSQL (`revoked_at` set, the row deleted) is refused by every api process
 *   within that time, in both modes, with nothing to deliver or miss in between.
 */
export class VerifiedApiKeys {
  private readonly cache: LRUCache<string, KeyRow> | null;

  constructor(
    private readonly db: DataSource,
    { ttlMs, max = VERIFIED_KEYS_MAX }: { ttlMs: number; max?: number },
  ) {
    this.cache = ttlMs > 0 ? new LRUCache<string, KeyRow>({ max, ttl: ttlMs }) : null;
  }

  /** How many verified keys are held now. */
  get size(): number {
    return this.cache?.size ?? 0;
  }

  /** The employer of `fwk_<keyId>_<secret>`, or null when the key is unknown, revoked or wrong. */
  async employerOf(keyId: string, secret: string): Promise<string | null> {
    const cached = this.cache?.get(keyId);
    if (cached && verifySecret(secret, cached.salt, cached.hash)) return cached.employerId;
    const rows: { employer_id: string; salt: string; hash: string }[] = await this.db.query(
      `SELECT employer_id, salt, hash FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL`,
      [keyId],
    );
    const row = rows[0];
    if (!row || !verifySecret(secret, row.salt, row.hash)) return null;
    this.cache?.set(keyId, { employerId: row.employer_id, salt: row.salt, hash: row.hash });
    return row.employer_id;
  }
}
