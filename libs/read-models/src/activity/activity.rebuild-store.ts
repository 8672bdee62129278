import { type TickerChangeRecord } from '@feedwerk/contracts';
import { type EntityManager } from 'typeorm';
import { saveFeedHead, saveStreamVersions } from '../projection/projection-streams';
import { copyRows } from './bulk-copy';
import { type ActivityModel } from './activity.fold';
import { changeColumns, type ItemRow, ITEM_COLUMNS, toItem } from './activity.rows';
import { type ActivityTables } from './activity.tables';

/*
 * The rebuild's writer of the activity projection: a builder's bulk writes into a generation's
 * unindexed tables, and the loads and tidying a resumed builder and the switch need.
 */

/**
 * Loads a whole generation's aggregation state into `model` (a rebuild resuming after a crash):
 * every slot and member, and the items they point at. Other items can no longer change.
 */
export async function loadWholeActivityState(
  tx: EntityManager,
  t: ActivityTables,
  model: ActivityModel,
): Promise<void> {
  const slotRows: { slot: string; item_id: string }[] = await tx.query(
    `SELECT slot, item_id FROM ${t.slots}`,
  );
  const memberRows: { member: string; item_id: string; subject: string }[] = await tx.query(
    `SELECT member, item_id, subject FROM ${t.members}`,
  );
  for (const row of slotRows) model.slots.set(row.slot, row.item_id);
  for (const row of memberRows) model.members.set(row.member, { itemId: row.item_id, subject: row.subject });
  // A semi-join, not `= ANY(ids)`: a rebuild's tables may have no index yet.
  const itemRows: ItemRow[] = await tx.query(
    `SELECT ${ITEM_COLUMNS} FROM ${t.items} WHERE id IN (SELECT item_id FROM ${t.slots} UNION SELECT item_id FROM ${t.members})`,
  );
  for (const row of itemRows) model.items.set(row.id, toItem(row));
}

/**
 * Forgets items no slot or member points at: only those can change again, so a long-running fold
 * (a rebuild) keeps its memory bounded by the open aggregation state, not by the history.
 */
export function pruneActivityModel(model: ActivityModel): void {
  const referenced = new Set(model.slots.values());
  for (const member of model.members.values()) referenced.add(member.itemId);
  for (const id of model.items.keys()) if (!referenced.has(id)) model.items.delete(id);
}

/**
 * What a rebuild folded since its last checkpoint, taken out of the model at one moment: the write
 * may run while the builder folds on (items and members are replaced, never mutated, so the taken
 * objects stay as they were).
 */
export interface RebuiltActivity {
  readonly dirty: ReturnType<ActivityModel['takeDirty']>;
  /** The feed's head when it was taken. */
  readonly position: number;
  /** The newest changes since the checkpoint, with the events that caused them. */
  readonly changes: readonly TickerChangeRecord[];
  readonly causes: readonly string[];
  /** Each touched stream's last folded version. */
  readonly touched: ReadonlyMap<string, number>;
  /**
   * The touched streams whose first event (version 1) was folded since the last write: no earlier
   * write of the generation can have touched them, so they have no row under its key yet.
   */
  readonly born: ReadonlySet<string>;
}

/**
 * A rebuild's write of what it folded since its last checkpoint. Unlike `saveActivityBatch` it needs
 * no unique index (the builder loads its tables without indexes): rows that may exist already are
 * deleted and written again. The change log keeps the newest `retain` positions only.
 */
export async function saveRebuiltActivity(
  tx: EntityManager,
  t: ActivityTables,
  folded: RebuiltActivity,
  retain: number,
  versions: 'checkpoint' | 'switch',
  /** COPY FROM STDIN for the bulk rows (a PostgreSQL server; PGlite: the JSON and array statements). */
  copy = false,
): Promise<void> {
  const { dirty, position, changes, causes, touched } = folded;
  // The head of the previous write: an item created after it (its order is its first position) has
  // no row yet, so only older ones need deleting (a scan of the unindexed table per write).
  const head: { feed_position: string }[] = await tx.query(
    `SELECT feed_position FROM projection_state WHERE projection = $1`,
    [t.name],
  );
  const written = Number(head[0]?.feed_position ?? 0);
  await tx.query(`DELETE FROM ${t.changes} WHERE position <= $1`, [position - retain]);
  const keep = Math.max(0, changes.length - retain);
  if (changes.length > keep) {
    await tx.query(
      `INSERT INTO ${t.changes}
         (position, op, item_id, kind, previous_kind, portal, region, category, count, item_order, at, event_id)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::int[], $10::bigint[], $11::timestamptz[], $12::uuid[])`,
      changeColumns(changes.slice(keep), causes.slice(keep)),
    );
  }
  if (dirty.items.length > 0) {
    const existing = dirty.items.filter((x) => x.order <= written).map((x) => x.id);
    if (existing.length > 0) {
      await tx.query(`DELETE FROM ${t.items} x USING unnest($1::uuid[]) d(id) WHERE x.id = d.id`, [existing]);
    }
    if (copy) {
      await copyRows(
        tx,
        t.items,
        [
          'id',
          'kind',
          'portal',
          'region',
          'category',
          'count',
          'item_order',
          'position',
          'at',
          'started_at',
          'retracted',
        ],
        dirty.items.map((x) => [
          x.id,
          x.kind,
          x.portal,
          x.region,
          x.category,
          x.count,
          x.order,
          x.position,
          x.at,
          x.startedAt,
          x.retracted,
        ]),
      );
    } else {
      // One JSON document (see saveActivityBatch): far cheaper to send and parse than eleven arrays.
      await tx.query(
        `INSERT INTO ${t.items}
         (id, kind, portal, region, category, count, item_order, position, at, started_at, retracted)
       SELECT id, kind, portal, region, category, count, item_order, position, at, started_at, retracted
         FROM json_to_recordset($1::json) AS r(id uuid, kind text, portal text, region text, category text,
              count int, item_order bigint, position bigint, at timestamptz, started_at timestamptz, retracted boolean)`,
        [
          JSON.stringify(
            dirty.items.map((x) => ({
              id: x.id,
              kind: x.kind,
              portal: x.portal,
              region: x.region,
              category: x.category,
              count: x.count,
              item_order: x.order,
              position: x.position,
              at: x.at,
              started_at: x.startedAt,
              retracted: x.retracted,
            })),
          ),
        ],
      );
    }
  }
  if (dirty.slots.length > 0) {
    await tx.query(`DELETE FROM ${t.slots} WHERE slot = ANY($1::text[])`, [dirty.slots.map((s) => s[0])]);
    const set = dirty.slots.filter((s): s is [string, string] => s[1] !== null);
    await tx.query(`INSERT INTO ${t.slots} (slot, item_id) SELECT * FROM unnest($1::text[], $2::uuid[])`, [
      set.map((s) => s[0]),
      set.map((s) => s[1]),
    ]);
  }
  if (dirty.members.length > 0) {
    // Only members that had a value at the previous write can have a row (a scan of the unindexed
    // table per write): most postings are closed, if at all, before the next checkpoint.
    const existing = dirty.members.filter(([key]) => !dirty.newMembers.has(key)).map(([key]) => key);
    if (existing.length > 0) {
      await tx.query(
        `DELETE FROM ${t.members} x USING unnest($1::text[]) d(member) WHERE x.member = d.member`,
        [existing],
      );
    }
    const kept = dirty.members.filter(
      (m): m is [string, { itemId: string; subject: string }] => m[1] !== null,
    );
    if (copy) {
      await copyRows(
        tx,
        t.members,
        ['member', 'item_id', 'subject'],
        kept.map(([member, m]) => [member, m.itemId, m.subject]),
      );
    } else if (kept.length > 0) {
      await tx.query(
        `INSERT INTO ${t.members} (member, item_id, subject)
         SELECT member, item_id, subject FROM json_to_recordset($1::json) AS r(member text, item_id uuid, subject text)`,
        [JSON.stringify(kept.map(([member, m]) => ({ member, item_id: m.itemId, subject: m.subject })))],
      );
    }
  }
  await saveRebuiltVersions(tx, t, touched, folded.born, versions);
  await saveFeedHead(tx, t.name, position);
}

/**
 * Each touched stream's folded version, written with the checkpoint. `checkpoint`: the streams born
 * since the last write (no row yet) by a plain insert in index order (no speculative insertion per
 * row), the others (touched again: an update or a close after the checkpoint that saw the posting)
 * upserted; `switch`: all upserted (the switch's small catch-up).
 */
async function saveRebuiltVersions(
  tx: EntityManager,
  t: ActivityTables,
  touched: ReadonlyMap<string, number>,
  born: ReadonlySet<string>,
  versions: 'checkpoint' | 'switch',
): Promise<void> {
  if (versions === 'switch') return saveStreamVersions(tx, t.name, touched);
  const fresh: [string[], number[]] = [[], []];
  const again = new Map<string, number>();
  for (const [stream, version] of touched) {
    if (born.has(stream)) {
      fresh[0].push(stream);
      fresh[1].push(version);
    } else again.set(stream, version);
  }
  if (fresh[0].length > 0) {
    await tx.query(
      `INSERT INTO projection_streams (projection, stream_id, version)
       SELECT $1, stream_id, version FROM unnest($2::text[], $3::int[]) AS u(stream_id, version) ORDER BY stream_id`,
      [t.name, ...fresh],
    );
  }
  await saveStreamVersions(tx, t.name, again);
}

/**
 * Moves the stream versions a builder of the previous version staged (each stream's highest) into
 * projection_streams and drops the staging table; nothing to do for a generation without one.
 */
export async function mergeStagedVersions(tx: EntityManager, t: ActivityTables): Promise<void> {
  // Only a generation begun by a builder of the previous version (which staged every checkpoint's
  // versions) has the table; builders now write them with each checkpoint (saveRebuiltVersions).
  const staged: { found: boolean }[] = await tx.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [
    t.stagedVersions,
  ]);
  if (!staged[0]?.found) return;
  // The grouping and the sort of ~0.5M stream ids per 1M events stay in memory (the default 4 MB
  // spills both to disk); LOCAL: only this (the switch's) transaction.
  await tx.query(`SET LOCAL work_mem = '128MB'`);
  // A fresh generation has no rows under its key yet (dropGeneration deleted them): a plain insert,
  // about half the cost of ON CONFLICT's speculative insertion per row. Rows exist only when a builder
  // of an older version upserted them per checkpoint before this one resumed the rebuild.
  const existing: { found: boolean }[] = await tx.query(
    `SELECT EXISTS (SELECT 1 FROM projection_streams WHERE projection = $1) AS found`,
    [t.name],
  );
  const conflict = existing[0]?.found
    ? `ON CONFLICT (projection, stream_id) DO UPDATE SET version = GREATEST(projection_streams.version, EXCLUDED.version)`
    : '';
  await tx.query(
    `INSERT INTO projection_streams (projection, stream_id, version)
     SELECT $1, stream_id, max(version) FROM ${t.stagedVersions} GROUP BY stream_id ORDER BY stream_id ${conflict}`,
    [t.name],
  );
  await tx.query(`DROP TABLE ${t.stagedVersions}`);
}
