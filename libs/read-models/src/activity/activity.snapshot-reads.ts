import { type EntityManager } from 'typeorm';
import { type ActivityItem, type ActivityModel } from './activity.fold';
import { type ItemRow, toItem } from './activity.rows';

/*
 * Reads of the activity model's snapshots: the state a fold from a snapshot needs (only what its
 * events can touch, or all of it for the snapshot job), and the box's newest items at a snapshot.
 */

/** A row version valid at snapshot $2 of generation $1. */
const VALID = `generation = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`;

const ITEM_SELECT = `key AS id, item_kind AS kind, portal, region, category, count, item_order, position, at,
       started_at, retracted`;

/** What a fold's events can touch: slots, members by key, erased candidates' members by subject. */
export interface SnapshotWants {
  readonly slots: readonly string[];
  readonly members: readonly string[];
  /** Erasures to fold: event id → candidate id. */
  readonly erasures: ReadonlyMap<string, string>;
}

interface PointerRow {
  row_id: string;
  kind: 'slot' | 'member';
  key: string;
  item_id: string;
  subject: string | null;
}

/**
 * Loads into `model` the state at snapshot `seq` that `wants` names, and the items it points at. An
 * erased candidate's members (renamed `erased:<event id>` in the snapshots) come back under their
 * candidate's subject, so folding the erasure takes them out as the live projection did.
 */
export async function loadSnapshotState(
  manager: EntityManager,
  generation: number,
  seq: number,
  model: ActivityModel,
  wants: SnapshotWants | 'all',
): Promise<void> {
  let pointers: PointerRow[];
  if (wants === 'all') {
    pointers = await manager.query(
      `SELECT row_id, kind, key, item_id, subject FROM activity_snapshot_rows
        WHERE ${VALID} AND kind IN ('slot', 'member')`,
      [generation, seq],
    );
  } else {
    const subjects = [...wants.erasures].flatMap(([eventId, candidateId]) => [
      `candidate:${candidateId}`,
      `erased:${eventId}`,
    ]);
    if (wants.slots.length + wants.members.length + subjects.length === 0) return;
    pointers = await manager.query(
      `SELECT row_id, kind, key, item_id, subject FROM activity_snapshot_rows
        WHERE ${VALID} AND ((kind = 'slot' AND key = ANY($3::text[]))
                            OR (kind = 'member' AND (key = ANY($4::text[]) OR subject = ANY($5::text[]))))`,
      [generation, seq, wants.slots, wants.members, subjects],
    );
  }
  putPointers(model, pointers, wants === 'all' ? new Map() : wants.erasures);
  const ids = [...new Set(pointers.map((p) => p.item_id))];
  if (ids.length === 0) return;
  const items: ItemRow[] = await manager.query(
    `SELECT ${ITEM_SELECT} FROM activity_snapshot_rows WHERE ${VALID} AND kind = 'item' AND key = ANY($3::text[])`,
    [generation, seq, ids],
  );
  for (const row of items) model.items.set(row.id, toItem(row));
}

function putPointers(
  model: ActivityModel,
  rows: readonly PointerRow[],
  erasures: ReadonlyMap<string, string>,
): void {
  for (const row of rows) {
    if (row.kind === 'slot') {
      model.slots.set(row.key, row.item_id);
      continue;
    }
    const subject = row.subject ?? '';
    if (!subject.startsWith('erased:')) {
      model.members.set(row.key, { itemId: row.item_id, subject });
      continue;
    }
    // A renamed member: one key per row, under its candidate when that erasure is folded next.
    const candidateId = erasures.get(subject.slice('erased:'.length));
    model.members.set(`${row.key}:${row.row_id}`, {
      itemId: row.item_id,
      subject: candidateId === undefined ? subject : `candidate:${candidateId}`,
    });
  }
}

/**
 * Gives an erased candidate's renamed members (loaded by `loadSnapshotState(…, 'all')`) back their
 * candidate's subject just before `eventId` is folded, so the erasure finds them.
 */
export function reviveErased(model: ActivityModel, eventId: string, candidateId: string): void {
  const renamed = `erased:${eventId}`;
  for (const [key, member] of model.members) {
    if (member.subject === renamed)
      model.members.set(key, { ...member, subject: `candidate:${candidateId}` });
  }
}

/**
 * The newest shown items of `portal`'s box at snapshot `seq` (its own and the site-wide ones), at
 * most `limit` of each, newest first. Items are never created after their order, so the index is
 * read from the snapshot's feed position down.
 */
export async function snapshotBoxItems(
  manager: EntityManager,
  generation: number,
  seq: number,
  feedPosition: number,
  portal: string,
  limit: number,
): Promise<ActivityItem[]> {
  const query = (portalCondition: string, params: unknown[]): Promise<ItemRow[]> =>
    manager.query(
      `SELECT ${ITEM_SELECT} FROM activity_snapshot_rows
        WHERE ${VALID} AND kind = 'item' AND NOT retracted AND ${portalCondition} AND item_order <= $3
        ORDER BY item_order DESC LIMIT $4`,
      [generation, seq, feedPosition, limit, ...params],
    );
  const own = await query(`portal = $5`, [portal]);
  const siteWide = await query(`portal IS NULL`, []);
  return [...own, ...siteWide].map(toItem).sort((a, b) => b.order - a.order);
}
