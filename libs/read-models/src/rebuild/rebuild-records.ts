import { type StoreCheckpoint } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';
import { type ProjectionName } from '../projection/projection';

export type RebuildStatus = 'building' | 'switching' | 'live' | 'cancelled' | 'failed' | 'retired';

/** A row of projection_rebuilds, typed. */
export interface RebuildRecord {
  readonly id: string;
  readonly projection: ProjectionName;
  readonly generation: number;
  readonly status: RebuildStatus;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly finishedAt: Date | null;
  readonly checkpoint: StoreCheckpoint;
  readonly done: number;
  readonly total: number;
  readonly eventsPerSecond: number;
  readonly error: string | null;
  readonly cancelRequested: boolean;
}

interface RebuildDbRow {
  id: string;
  projection: ProjectionName;
  generation: number;
  status: RebuildStatus;
  requested_by: string;
  requested_at: Date;
  finished_at: Date | null;
  checkpoint_tx: string;
  checkpoint_pos: string;
  done: string;
  total: string;
  events_per_second: number;
  error: string | null;
  cancel_requested: boolean;
}

export const REBUILD_COLUMNS = `id, projection, generation, status, requested_by, requested_at, finished_at,
  checkpoint_tx, checkpoint_pos, done, total, events_per_second, error, cancel_requested`;

export const toRebuildRecord = (row: RebuildDbRow): RebuildRecord => ({
  id: row.id,
  projection: row.projection,
  generation: row.generation,
  status: row.status,
  requestedBy: row.requested_by,
  requestedAt: row.requested_at,
  finishedAt: row.finished_at,
  checkpoint: { transactionId: String(row.checkpoint_tx), globalPosition: Number(row.checkpoint_pos) },
  done: Number(row.done),
  total: Number(row.total),
  eventsPerSecond: row.events_per_second,
  error: row.error,
  cancelRequested: row.cancel_requested,
});

/** A second rebuild of a projection while one runs. */
export class RebuildRunningError extends Error {
  constructor(readonly projection: ProjectionName) {
    super(`a rebuild of ${projection} is already running`);
  }
}

/** A builder that committed a batch within this time keeps the rebuild; others leave it alone. */
const LEASE_SECONDS = 15;

/**
 * The rows of projection_rebuilds: requests, cancels, progress and the builders' lease. Every
 * method runs in the transaction it is given (the request with the caller's audit record; the
 * progress with the batch's effect).
 */
export class RebuildRecords {
  /**
   * Registers a rebuild of `projection` (status `building`, generation = the highest known + 1).
   * Throws RebuildRunningError when one is already building.
   */
  async request(
    tx: EntityManager,
    projection: ProjectionName,
    id: string,
    requestedBy: string,
  ): Promise<RebuildRecord> {
    const running: { id: string }[] = await tx.query(
      `SELECT id FROM projection_rebuilds WHERE projection = $1 AND status IN ('building', 'switching')`,
      [projection],
    );
    if (running.length > 0) throw new RebuildRunningError(projection);
    try {
      const rows: RebuildDbRow[] = await tx.query(
        `INSERT INTO projection_rebuilds (id, projection, generation, status, requested_by)
         SELECT $1, $2, GREATEST(
                  (SELECT generation FROM projection_live WHERE projection = $2),
                  (SELECT max(generation) FROM projection_rebuilds WHERE projection = $2)) + 1,
                'building', $3
         RETURNING ${REBUILD_COLUMNS}`,
        [id, projection, requestedBy],
      );
      return toRebuildRecord(rows[0]!);
    } catch (error) {
      // Two requests raced past the check: the partial unique index lets only one in.
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === '23505') throw new RebuildRunningError(projection);
      throw error;
    }
  }

  /** Asks a building rebuild to stop; the builder drops its tables at its next batch. */
  async requestCancel(tx: EntityManager, id: string): Promise<RebuildRecord | null> {
    const rows: RebuildDbRow[] = await tx.query(
      `UPDATE projection_rebuilds SET cancel_requested = true, updated_at = now()
        WHERE id = $1 AND status = 'building' AND NOT cancel_requested
        RETURNING ${REBUILD_COLUMNS}`,
      [id],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, count].
    const updated = (rows as unknown as [RebuildDbRow[], number])[0];
    return updated[0] ? toRebuildRecord(updated[0]) : null;
  }

  async find(tx: EntityManager, id: string, lock: 'update' | 'none' = 'none'): Promise<RebuildRecord | null> {
    const rows: RebuildDbRow[] = await tx.query(
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE id = $1${lock === 'update' ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toRebuildRecord(rows[0]) : null;
  }

  /** Rebuilds a builder should work on, oldest first. */
  async pending(tx: EntityManager): Promise<RebuildRecord[]> {
    const rows: RebuildDbRow[] = await tx.query(
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds
        WHERE status IN ('building', 'switching') ORDER BY requested_at`,
    );
    return rows.map(toRebuildRecord);
  }

  async finish(tx: EntityManager, id: string, status: 'cancelled' | 'failed', error?: string): Promise<void> {
    await tx.query(
      `UPDATE projection_rebuilds SET status = $2, error = $3, finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [id, status, error === undefined ? null : error.slice(0, 2_000)],
    );
  }

  /** The projection's previous live rebuild is retired (a switch made another one live). */
  async retireLive(tx: EntityManager, projection: ProjectionName): Promise<void> {
    await tx.query(
      `UPDATE projection_rebuilds SET status = 'retired', updated_at = now()
        WHERE projection = $1 AND status = 'live'`,
      [projection],
    );
  }

  /** One builder per projection: a transaction-level lock (no session lock, so PGlite works too). */
  async lockProjection(tx: EntityManager, projection: ProjectionName): Promise<boolean> {
    const locked: { ok: boolean }[] = await tx.query(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok`,
      [`feedwerk-rebuild:${projection}`],
    );
    return locked[0]?.ok === true;
  }

  /**
   * False when another builder committed a batch moments ago: it holds the fold in memory, so it
   * goes on (taking turns would make each reload the state from the tables). Its lease lapses if it crashed.
   */
  async holdsLease(tx: EntityManager, id: string, builder: string): Promise<boolean> {
    const lease: { builder: string | null; fresh: boolean }[] = await tx.query(
      `SELECT builder, heartbeat_at > now() - make_interval(secs => $2) AS fresh
         FROM projection_rebuilds WHERE id = $1`,
      [id, LEASE_SECONDS],
    );
    return !(lease[0]?.fresh && lease[0].builder !== builder);
  }

  /**
   * Keeps `builder`'s lease between checkpoints and answers the status and cancel flag; nothing
   * when another builder holds the rebuild. `renew: false` only looks (a checkpoint being written
   * holds the row and renews the lease when it commits).
   */
  async heartbeat(
    tx: EntityManager,
    id: string,
    builder: string,
    renew: boolean,
  ): Promise<{ status: RebuildStatus; cancelRequested: boolean } | undefined> {
    const rows: { status: RebuildStatus; cancel_requested: boolean }[] = renew
      ? (
          await tx.query<[{ status: RebuildStatus; cancel_requested: boolean }[], number]>(
            `UPDATE projection_rebuilds SET heartbeat_at = now() WHERE id = $1 AND builder = $2
             RETURNING status, cancel_requested`,
            [id, builder],
          )
        )[0]
      : await tx.query(
          `SELECT status, cancel_requested FROM projection_rebuilds WHERE id = $1 AND builder = $2`,
          [id, builder],
        );
    return rows[0] && { status: rows[0].status, cancelRequested: rows[0].cancel_requested };
  }

  /** The checkpoint, progress and lease, committed with the effect they describe. */
  async recordProgress(
    tx: EntityManager,
    id: string,
    progress: {
      end: StoreCheckpoint;
      done: number;
      rate: number;
      status: RebuildStatus;
      builder: string;
    },
  ): Promise<void> {
    const { end, done, rate, status, builder } = progress;
    await tx.query(
      `UPDATE projection_rebuilds SET checkpoint_tx = $2, checkpoint_pos = $3, done = $4, events_per_second = $5,
         status = $6, total = CASE WHEN $6 = 'live' THEN $4 ELSE total END,
         finished_at = CASE WHEN $6 = 'live' THEN now() ELSE finished_at END, updated_at = now(),
         builder = $7, heartbeat_at = now()
       WHERE id = $1`,
      [id, end.transactionId, end.globalPosition, done, rate, status, builder],
    );
  }
}
