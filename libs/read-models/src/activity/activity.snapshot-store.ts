import { type StoreCheckpoint } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';
import { type SnapshotDelta } from './activity.snapshot-delta';

/*
 * The writer of the activity model's snapshots (`projection_snapshots`, `activity_snapshot_rows`):
 * a snapshot writes what changed since the previous one as new row versions and closes the versions
 * they replace. Builders write their generation's snapshots at checkpoints and at the switch; the
 * snapshot job extends the live generation's.
 */

export const SNAPSHOT_PROJECTION = 'activity';

/** One snapshot: where in the store and the feed it stands, and the time span of what it folded. */
export interface SnapshotHeader {
  readonly seq: number;
  readonly checkpoint: StoreCheckpoint;
  readonly feedPosition: number;
  readonly events: number;
  /** The newest event time folded up to it (ISO); null when it folded nothing. */
  readonly maxOccurred: string | null;
  /** The oldest event time folded since the previous snapshot; null when it folded none. */
  readonly minOccurred: string | null;
}

interface HeaderRow {
  seq: number;
  checkpoint_tx: string;
  checkpoint_pos: string;
  feed_position: string;
  events: string;
  max_occurred: Date | null;
  min_occurred: Date | null;
}

const toHeader = (row: HeaderRow): SnapshotHeader => ({
  seq: row.seq,
  checkpoint: { transactionId: String(row.checkpoint_tx), globalPosition: Number(row.checkpoint_pos) },
  feedPosition: Number(row.feed_position),
  events: Number(row.events),
  maxOccurred: row.max_occurred?.toISOString() ?? null,
  minOccurred: row.min_occurred?.toISOString() ?? null,
});

const HEADER_COLUMNS =
  'seq, checkpoint_tx, checkpoint_pos, feed_position, events, max_occurred, min_occurred';

/** A generation's snapshots, oldest first (one row per SNAPSHOT_EVERY events: a few hundred at most). */
export async function snapshotHeaders(manager: EntityManager, generation: number): Promise<SnapshotHeader[]> {
  const rows: HeaderRow[] = await manager.query(
    `SELECT ${HEADER_COLUMNS} FROM projection_snapshots WHERE projection = $1 AND generation = $2 ORDER BY seq`,
    [SNAPSHOT_PROJECTION, generation],
  );
  return rows.map(toHeader);
}

export async function newestSnapshot(
  manager: EntityManager,
  generation: number,
): Promise<SnapshotHeader | null> {
  const rows: HeaderRow[] = await manager.query(
    `SELECT ${HEADER_COLUMNS} FROM projection_snapshots WHERE projection = $1 AND generation = $2
      ORDER BY seq DESC LIMIT 1`,
    [SNAPSHOT_PROJECTION, generation],
  );
  return rows[0] ? toHeader(rows[0]) : null;
}

/** Forgets a generation's snapshots (a fresh build of it, or a generation no longer live or building). */
export async function dropSnapshots(tx: EntityManager, generations: readonly number[]): Promise<void> {
  if (generations.length === 0) return;
  await tx.query(`DELETE FROM activity_snapshot_rows WHERE generation = ANY($1::int[])`, [generations]);
  await tx.query(`DELETE FROM projection_snapshots WHERE projection = $1 AND generation = ANY($2::int[])`, [
    SNAPSHOT_PROJECTION,
    generations,
  ]);
}

/**
 * Takes an erased candidate out of every snapshot: their members' keys (`cv:<id>`) and subject
 * (`candidate:<id>`) become `erased:<the erasure's event id>`. The rows stay (a box at a time after
 * the erasure, folded from a snapshot before it, still takes the uploads out of their items), but
 * nothing in them names the candidate or the CV any more.
 */
export async function anonymizeErased(
  tx: EntityManager,
  erasures: ReadonlyMap<string, string>,
): Promise<void> {
  for (const [eventId, candidateId] of erasures) {
    await tx.query(
      `UPDATE activity_snapshot_rows SET key = $1, subject = $1
        WHERE kind = 'member' AND subject = $2`,
      [`erased:${eventId}`, `candidate:${candidateId}`],
    );
  }
}

/**
 * Writes the next snapshot of `generation` in the caller's transaction: `delta` (folded from
 * snapshot `after`, null: from position 0) as new versions. Returns the snapshot, or null when the
 * newest snapshot is no longer `after` (another writer took the next one).
 */
export async function writeActivitySnapshot(
  tx: EntityManager,
  generation: number,
  delta: SnapshotDelta,
  at: { readonly checkpoint: StoreCheckpoint; readonly feedPosition: number; readonly after: number | null },
): Promise<SnapshotHeader | null> {
  // One writer per generation at a time; `after` is the snapshot the delta was folded from.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`activity-snapshots:${generation}`]);
  const previous = await newestSnapshot(tx, generation);
  if ((previous?.seq ?? null) !== at.after) return null;
  const seq = (previous?.seq ?? 0) + 1;
  await anonymizeErased(tx, delta.erasures);
  await writeDelta(tx, generation, seq, delta);
  const maxOccurred = [previous?.maxOccurred ?? null, delta.maxOccurred]
    .filter((t): t is string => t !== null)
    .sort()
    .at(-1);
  const header: SnapshotHeader = {
    seq,
    checkpoint: at.checkpoint,
    feedPosition: at.feedPosition,
    events: (previous?.events ?? 0) + delta.events,
    maxOccurred: maxOccurred ?? null,
    minOccurred: delta.minOccurred,
  };
  await tx.query(
    `INSERT INTO projection_snapshots (projection, generation, ${HEADER_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      SNAPSHOT_PROJECTION,
      generation,
      seq,
      header.checkpoint.transactionId,
      header.checkpoint.globalPosition,
      header.feedPosition,
      header.events,
      header.maxOccurred,
      header.minOccurred,
    ],
  );
  return header;
}

async function writeDelta(
  tx: EntityManager,
  generation: number,
  seq: number,
  delta: SnapshotDelta,
): Promise<void> {
  const close = async (kind: string, keys: readonly string[]) => {
    if (keys.length === 0) return;
    await tx.query(
      `UPDATE activity_snapshot_rows SET valid_to = $1
        WHERE generation = $2 AND kind = $3 AND key = ANY($4::text[]) AND valid_to IS NULL`,
      [seq, generation, kind, keys],
    );
  };
  await close('item', [...delta.items.keys()]);
  await close('slot', [...delta.slots.keys()]);
  await close('member', [...delta.members.keys()]);
  // An erased candidate's members were renamed (anonymizeErased): they end here too.
  if (delta.erasures.size > 0) {
    await tx.query(
      `UPDATE activity_snapshot_rows SET valid_to = $1
        WHERE generation = $2 AND kind = 'member' AND subject = ANY($3::text[]) AND valid_to IS NULL`,
      [seq, generation, [...delta.erasures.keys()].map((id) => `erased:${id}`)],
    );
  }
  const items = [...delta.items.values()].map((i) => ({
    key: i.id,
    item_kind: i.kind,
    portal: i.portal,
    region: i.region,
    category: i.category,
    count: i.count,
    item_order: i.order,
    position: i.position,
    at: i.at,
    started_at: i.startedAt,
    retracted: i.retracted,
  }));
  const pointers = [
    ...[...delta.slots].flatMap(([key, itemId]) =>
      itemId === null ? [] : [{ kind: 'slot', key, item_id: itemId }],
    ),
    ...[...delta.members].flatMap(([key, m]) =>
      m === null ? [] : [{ kind: 'member', key, item_id: m.itemId, subject: m.subject }],
    ),
  ];
  if (items.length > 0) {
    await tx.query(
      `INSERT INTO activity_snapshot_rows (generation, kind, key, valid_from, item_kind, portal, region, category,
                                           count, item_order, position, at, started_at, retracted)
       SELECT $1, 'item', r.key, $2, r.item_kind, r.portal, r.region, r.category, r.count, r.item_order,
              r.position, r.at, r.started_at, r.retracted
         FROM jsonb_to_recordset($3::jsonb) AS r(key text, item_kind text, portal text, region text,
              category text, count integer, item_order bigint, position bigint, at timestamptz,
              started_at timestamptz, retracted boolean)`,
      [generation, seq, JSON.stringify(items)],
    );
  }
  if (pointers.length > 0) {
    await tx.query(
      `INSERT INTO activity_snapshot_rows (generation, kind, key, valid_from, item_id, subject)
       SELECT $1, r.kind, r.key, $2, r.item_id, r.subject
         FROM jsonb_to_recordset($3::jsonb) AS r(kind text, key text, item_id uuid, subject text)`,
      [generation, seq, JSON.stringify(pointers)],
    );
  }
}
