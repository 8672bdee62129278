import { type FeedEvent, type TickerChangeRecord } from '@feedwerk/contracts';
import { type EntityManager } from 'typeorm';
import { saveFeedHead, saveStreamVersions } from '../projection/projection-streams';
import { type ActivityModel } from './activity.fold';
import { type ItemRow, ITEM_COLUMNS, toItem } from './activity.rows';
import { type ActivityTables } from './activity.tables';

/*
 * The live writer of the activity projection: what one projector batch reads of the tables (only
 * the state its events can touch) and writes back (changes, items, slots, members, versions, head).
 */

/** Loads exactly the state the batch's events can touch into `model`: their portals' slots, members, and those items. */
export async function loadActivityState(
  tx: EntityManager,
  t: ActivityTables,
  model: ActivityModel,
  events: readonly FeedEvent[],
): Promise<void> {
  const slots = new Set<string>();
  const members = new Set<string>();
  const subjects = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'JobPosted':
        slots.add(`jobs:${event.data.portal}`);
        members.add(`job:${event.data.jobId}`);
        break;
      case 'CvUploaded':
        slots.add(`cvs:${event.data.portal}`);
        members.add(`cv:${event.data.cvId}`);
        break;
      case 'JobClosed':
        members.add(`job:${event.data.jobId}`);
        break;
      case 'CandidateErased':
        subjects.add(`candidate:${event.data.candidateId}`);
        break;
      // These add items of their own and touch no shared state.
      case 'JobUpdated':
      case 'JobsRefreshed':
      case 'BlogPostPublished':
      case 'EmployerRegistered':
      case 'AdminActionRecorded':
        break;
    }
  }
  const slotRows: { slot: string; item_id: string }[] = slots.size
    ? await tx.query(`SELECT slot, item_id FROM ${t.slots} WHERE slot = ANY($1::text[])`, [[...slots]])
    : [];
  const memberRows: { member: string; item_id: string; subject: string }[] =
    members.size || subjects.size
      ? await tx.query(
          `SELECT member, item_id, subject FROM ${t.members}
            WHERE member = ANY($1::text[]) OR subject = ANY($2::text[])`,
          [[...members], [...subjects]],
        )
      : [];
  for (const row of slotRows) model.slots.set(row.slot, row.item_id);
  for (const row of memberRows) model.members.set(row.member, { itemId: row.item_id, subject: row.subject });
  const ids = [...new Set([...slotRows, ...memberRows].map((r) => r.item_id))];
  if (ids.length > 0) {
    const itemRows: ItemRow[] = await tx.query(
      `SELECT ${ITEM_COLUMNS} FROM ${t.items} WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of itemRows) model.items.set(row.id, toItem(row));
  }
}

export async function saveActivityBatch(
  tx: EntityManager,
  t: ActivityTables,
  model: ActivityModel,
  changes: readonly TickerChangeRecord[],
  causes: readonly string[],
  touched: ReadonlyMap<string, number>,
): Promise<void> {
  const dirty = model.takeDirty();
  if (changes.length > 0) {
    // One JSON document per batch: serialised natively by V8 and parsed once by PostgreSQL, much
    // cheaper per row than a dozen typed arrays (a rebuild writes up to one change per event).
    await tx.query(
      `INSERT INTO ${t.changes}
         (position, op, item_id, kind, previous_kind, portal, region, category, count, item_order, at, event_id)
       SELECT position, op, item_id, kind, previous_kind, portal, region, category, count, item_order, at, event_id
         FROM json_to_recordset($1::json) AS r(position bigint, op text, item_id uuid, kind text, previous_kind text,
              portal text, region text, category text, count int, item_order bigint, at timestamptz, event_id uuid)`,
      [
        JSON.stringify(
          changes.map((c, n) => ({
            position: c.position,
            op: c.op,
            item_id: c.item.id,
            kind: c.item.kind,
            previous_kind: c.previousKind,
            portal: c.item.portal,
            region: c.item.region,
            category: c.item.category,
            count: c.item.count,
            item_order: c.item.order,
            at: c.item.at,
            event_id: causes[n],
          })),
        ),
      ],
    );
  }
  if (dirty.items.length > 0) {
    const i = dirty.items;
    await tx.query(
      `INSERT INTO ${t.items}
         (id, kind, portal, region, category, count, item_order, position, at, started_at, retracted)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
                            $8::bigint[], $9::timestamptz[], $10::timestamptz[], $11::boolean[])
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, portal = EXCLUDED.portal, region = EXCLUDED.region,
         category = EXCLUDED.category, count = EXCLUDED.count, position = EXCLUDED.position, at = EXCLUDED.at,
         retracted = EXCLUDED.retracted`,
      [
        i.map((x) => x.id),
        i.map((x) => x.kind),
        i.map((x) => x.portal),
        i.map((x) => x.region),
        i.map((x) => x.category),
        i.map((x) => x.count),
        i.map((x) => x.order),
        i.map((x) => x.position),
        i.map((x) => x.at),
        i.map((x) => x.startedAt),
        i.map((x) => x.retracted),
      ],
    );
  }
  const setSlots = dirty.slots.filter((s): s is [string, string] => s[1] !== null);
  if (setSlots.length > 0) {
    await tx.query(
      `INSERT INTO ${t.slots} (slot, item_id) SELECT * FROM unnest($1::text[], $2::uuid[])
       ON CONFLICT (slot) DO UPDATE SET item_id = EXCLUDED.item_id`,
      [setSlots.map((s) => s[0]), setSlots.map((s) => s[1])],
    );
  }
  const gone = dirty.members.filter(([, m]) => m === null).map(([key]) => key);
  if (gone.length > 0) {
    await tx.query(`DELETE FROM ${t.members} WHERE member = ANY($1::text[])`, [gone]);
  }
  const kept = dirty.members.filter((m): m is [string, { itemId: string; subject: string }] => m[1] !== null);
  if (kept.length > 0) {
    await tx.query(
      `INSERT INTO ${t.members} (member, item_id, subject)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])
       ON CONFLICT (member) DO UPDATE SET item_id = EXCLUDED.item_id, subject = EXCLUDED.subject`,
      [kept.map((m) => m[0]), kept.map((m) => m[1].itemId), kept.map((m) => m[1].subject)],
    );
  }
  // Each touched stream's applied version and the feed's head: written with the batch's effect.
  await saveStreamVersions(tx, t.name, touched);
  await saveFeedHead(tx, t.name, model.position);
}

/** Applies events to the model in order: the changes, each with the event that caused it. */
export function foldBatch(
  model: ActivityModel,
  events: readonly FeedEvent[],
): { changes: TickerChangeRecord[]; causes: string[] } {
  const changes: TickerChangeRecord[] = [];
  const causes: string[] = [];
  for (const event of events) {
    for (const change of model.apply(event)) {
      changes.push(change);
      causes.push(event.id);
    }
  }
  return { changes, causes };
}
