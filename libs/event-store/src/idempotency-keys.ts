import { type DataSource, type EntityManager } from 'typeorm';
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from './errors';

/** A request's idempotency key: a retry with the same scope + key gets the first answer. */
export interface IdempotencyKey {
  readonly scope: string;
  readonly key: string;
  /** Hash of the request (method, route, body): the same key with another body is refused. */
  readonly fingerprint: string;
}

/** Thrown inside the append transaction to roll it back when the idempotency key was already taken. */
export class ReplayInstead extends Error {
  constructor(readonly result: unknown) {
    super('idempotent replay');
  }
}

/** The `idempotency_keys` table: one answer per (scope, key), taken inside the append transaction. */
export class IdempotencyKeys {
  constructor(private readonly db: DataSource) {}

  /** The first answer to an earlier request with this key, if it completed. */
  async find(
    scope: string,
    key: string,
    manager: EntityManager = this.db.manager,
  ): Promise<{ fingerprint: string; result: unknown } | null> {
    const rows: { fingerprint: string; result: unknown }[] = await manager.query(
      `SELECT fingerprint, result FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return rows[0] ?? null;
  }

  /** Deletes keys older than `olderThan` (retries come within minutes; the rows only grow). */
  async purge(olderThan: Date): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, affected] = await this.db.query<[unknown, number]>(
      `DELETE FROM idempotency_keys WHERE created_at < $1`,
      [olderThan.toISOString()],
    );
    return affected;
  }

  /**
   * Marks the key as in flight for this transaction: a transaction-scoped advisory lock (no write,
   * so the event insert stays the first write). A concurrent request with the same key does not
   * wait for us but is told 409 at once; once we commit, retries find the stored answer. (PGlite runs
   * one session with one connection: its transactions never overlap, so a retry there always
   * finds the committed answer.) The same statement reads the streams' versions. Its snapshot may
   * predate a first attempt with this key that committed just before the lock was granted; then
   * the retry's insert meets that attempt's key (claim) or its event (the unique index), and
   * both paths answer with the stored result.
   */
  async hold(
    tx: EntityManager,
    idem: IdempotencyKey,
    streamIds: readonly string[],
  ): Promise<Map<string, number>> {
    const rows: { locked: boolean; versions: [string, number][] }[] = await tx.query(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked,
              (SELECT coalesce(json_agg(json_build_array(stream_id, version)), '[]'::json)
                 FROM (SELECT stream_id, max(stream_position) AS version FROM events
                        WHERE stream_id = ANY($2::text[]) GROUP BY stream_id) v) AS versions`,
      [`idempotency\n${idem.scope}\n${idem.key}`, streamIds],
    );
    const row = rows[0];
    if (!row?.locked) throw new IdempotencyKeyInFlightError(idem.key);
    return new Map(row.versions);
  }

  /**
   * Claims the key with the command's answer, the transaction's last statement: one insert instead
   * of a claim and an update of the result. A concurrent holder of the same key makes this insert
   * wait for it; once it committed, its answer is replayed and this transaction rolls back.
   */
  async claim(tx: EntityManager, idem: IdempotencyKey, result: unknown): Promise<void> {
    const claimed: unknown[] = await tx.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, result) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [idem.scope, idem.key, idem.fingerprint, JSON.stringify(result)],
    );
    if (claimed.length === 0) await this.replayIfKnown(tx, idem);
  }

  /** Throws ReplayInstead with the stored answer, or IdempotencyKeyReusedError for another request. */
  async replayIfKnown(tx: EntityManager, idem: IdempotencyKey): Promise<void> {
    const known = await this.find(idem.scope, idem.key, tx);
    if (!known) return;
    if (known.fingerprint !== idem.fingerprint) throw new IdempotencyKeyReusedError(idem.key);
    throw new ReplayInstead(known.result);
  }
}
