import { copyRows } from './bulk-copy';
import {
  type FeedEvent,
  matchesFilter,
  type TickerChangeRecord,
  type TickerFilter,
  type TickerItemRecord,
  type TickerKind,
} from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  activityTables,
  type ActivityTables,
  checkpointKeySql,
  liveGeneration,
} from '../generations/generations';
import { inStreamOrder } from '../stream-order';
import {
  ActivityModel,
  type ActivityItem,
  type ActivityOptions,
  DEFAULT_BURST_WINDOW_MS,
} from './activity.fold';

/**
 * Generation 1 of the activity projection: its name is also its checkpoint key (projection_state,
 * projection_streams); its tables carry the version. Rebuilds build further generations beside it
 * (`activityTables(n)`); readers and writers resolve the live one per transaction.
 */
export const ACTIVITY = activityTables(1);

export interface ActivityResult {
  /** The feed's new changes, in position order. */
  readonly changes: readonly TickerChangeRecord[];
  /** Events already applied before (redeliveries). */
  readonly skipped: number;
  /** Events re-read from the store because the transport delivered a later version first. */
  readonly gapFilled: number;
}

interface ChangeRow {
  position: string;
  op: TickerChangeRecord['op'];
  item_id: string;
  kind: TickerKind;
  previous_kind: TickerKind | null;
  portal: string | null;
  region: TickerItemRecord['region'];
  category: string | null;
  count: number;
  item_order: string;
  at: Date;
}

interface ItemRow {
  id: string;
  kind: TickerKind;
  portal: string | null;
  region: TickerItemRecord['region'];
  category: string | null;
  count: number;
  item_order: string;
  position: string;
  at: Date;
  started_at: Date;
  retracted: boolean;
}

const CHANGE_COLUMNS =
  'position, op, item_id, kind, previous_kind, portal, region, category, count, item_order, at';

const toChange = (row: ChangeRow): TickerChangeRecord => ({
  op: row.op,
  position: Number(row.position),
  previousKind: row.previous_kind,
  item: {
    id: row.item_id,
    kind: row.kind,
    count: row.count,
    portal: row.portal,
    region: row.region,
    category: row.category,
    order: Number(row.item_order),
    position: Number(row.position),
    at: row.at.toISOString(),
  },
});

const toItem = (row: ItemRow): ActivityItem => ({
  id: row.id,
  kind: row.kind,
  count: row.count,
  portal: row.portal,
  region: row.region,
  category: row.category,
  order: Number(row.item_order),
  position: Number(row.position),
  at: row.at.toISOString(),
  startedAt: row.started_at.toISOString(),
  retracted: row.retracted,
});

/**
 * Folds events into the box (ActivityModel, pure) and stores its changes and items in PostgreSQL.
 * Guarantees:
 * - Exactly-once effect: each stream's last applied version is stored in the same transaction as
 *   the changes, so a redelivered event changes nothing and a crash before commit changes nothing.
 * - Per-stream order: a version ahead of the next expected one makes the projection re-read the
 *   missing versions from the event store first (a gap is filled, never skipped).
 * - Feed positions are gapless and commit-ordered: every batch locks the projection's counter row,
 *   so concurrent projector instances take turns and a rolled-back batch returns its positions.
 * - Deterministic: the fold uses only the events (ids, times), so a rebuild gives the same feed.
 */
export class ActivityProjection {
  private readonly options: ActivityOptions;

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    options: Partial<ActivityOptions> = {},
  ) {
    this.options = { burstWindowMs: options.burstWindowMs ?? DEFAULT_BURST_WINDOW_MS };
  }

  async handle(events: readonly FeedEvent[]): Promise<ActivityResult> {
    if (events.length === 0) return { changes: [], skipped: 0, gapFilled: 0 };
    return this.db.transaction(async (tx) => {
      // The live generation, locked for this batch: a switch waits for it, or it waits for the switch.
      const t = activityTables(await liveGeneration(tx, 'activity', 'share'));
      const counter: { feed_position: string }[] = await tx.query(
        `SELECT feed_position FROM projection_state WHERE projection = $1 FOR UPDATE`,
        [t.name],
      );
      if (!counter[0]) throw new Error(`projection ${t.name} is not initialised (migrations not run?)`);
      const versions = await streamVersions(tx, t, [...new Set(events.map((e) => e.streamId))]);
      const touched = new Map<string, number>();
      const apply: FeedEvent[] = [];
      let skipped = 0;
      let gapFilled = 0;

      for (const event of events) {
        const next = await inStreamOrder(this.store, tx, versions, event);
        if (next.kind === 'seen') {
          skipped += 1;
          continue;
        }
        gapFilled += next.gapFilled;
        apply.push(...next.events);
        touched.set(event.streamId, event.streamPosition);
      }
      if (apply.length === 0) return { changes: [], skipped, gapFilled };

      const model = new ActivityModel(this.options, Number(counter[0].feed_position));
      await loadActivityState(tx, t, model, apply);
      const { changes, causes } = foldBatch(model, apply);
      await saveActivityBatch(tx, t, model, changes, causes, touched);
      return { changes, skipped, gapFilled };
    });
  }
}

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
      `SELECT id, kind, portal, region, category, count, item_order, position, at, started_at, retracted
         FROM ${t.items} WHERE id = ANY($1::uuid[])`,
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
  await saveVersionsAndHead(tx, t, touched, model.position);
}

/** Each touched stream's applied version and the feed's head: written with the batch's effect. */
async function saveVersionsAndHead(
  tx: EntityManager,
  t: ActivityTables,
  touched: ReadonlyMap<string, number>,
  position: number,
): Promise<void> {
  await saveVersions(tx, t, touched);
  await tx.query(`UPDATE projection_state SET feed_position = $2, updated_at = now() WHERE projection = $1`, [
    t.name,
    position,
  ]);
}

async function saveVersions(
  tx: EntityManager,
  t: ActivityTables,
  touched: ReadonlyMap<string, number>,
): Promise<void> {
  if (touched.size > 0) {
    await tx.query(
      `INSERT INTO projection_streams (projection, stream_id, version)
       SELECT $1, * FROM unnest($2::text[], $3::int[])
       ON CONFLICT (projection, stream_id) DO UPDATE SET version = GREATEST(projection_streams.version, EXCLUDED.version)`,
      [t.name, [...touched.keys()], [...touched.values()]],
    );
  }
}

async function streamVersions(
  tx: EntityManager,
  t: ActivityTables,
  streams: readonly string[],
): Promise<Map<string, number>> {
  const rows: { stream_id: string; version: number }[] = await tx.query(
    `SELECT stream_id, version FROM projection_streams WHERE projection = $1 AND stream_id = ANY($2::text[])`,
    [t.name, streams],
  );
  return new Map(rows.map((r) => [r.stream_id, r.version]));
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

/**
 * What a subscriber is served first: the current box, or exactly the changes after its position.
 * `generation` is the live generation the answer was read from: positions are only comparable
 * within one generation (a rebuild renumbers the feed), so a client keeps it with its position.
 */
export type FeedOpening =
  | {
      readonly mode: 'snapshot';
      readonly items: readonly TickerItemRecord[];
      readonly head: number;
      readonly generation: number;
    }
  | {
      readonly mode: 'changes';
      readonly changes: readonly TickerChangeRecord[];
      readonly head: number;
      readonly generation: number;
    };

/** The stored event that caused a feed change. */
export interface ChangeCause {
  readonly eventId: string;
  readonly correlationId: string | null;
}

/** Where the live feed stands: its generation, head (last committed position) and published position. */
export interface FeedState {
  readonly generation: number;
  readonly head: number;
  readonly published: number;
}

/**
 * Reads of the activity read model: the ticker's history and resume source. Every read resolves
 * the live generation inside its own transaction or statement, so it never mixes two generations
 * and never sees a generation that is still being built.
 */
export class ActivityFeed {
  constructor(private readonly db: DataSource) {}

  /**
   * The current box for `filter` (newest first, at most `limit`) with the head it is exact at, or
   * with `since`: every change after it up to that head. Read in one snapshot, so the items and
   * the head agree. `since` beyond the head, or more than `maxCatchUp` changes behind it, or older
   * than the retained log, cannot be served exactly: the answer is a snapshot.
   */
  open(
    filter: TickerFilter,
    limit: number,
    since: number | undefined,
    maxCatchUp = 1_000,
  ): Promise<FeedOpening> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const generation = await liveGeneration(tx, 'activity', 'none');
      const t = activityTables(generation);
      const state: { feed_position: string; oldest: string | null }[] = await tx.query(
        `SELECT feed_position, (SELECT min(position) FROM ${t.changes}) AS oldest
           FROM projection_state WHERE projection = $1`,
        [t.name],
      );
      const head = Number(state[0]?.feed_position ?? 0);
      const oldest = state[0]?.oldest === null || state[0] === undefined ? head + 1 : Number(state[0].oldest);
      if (since !== undefined && since <= head && head - since <= maxCatchUp && since >= oldest - 1) {
        const rows: ChangeRow[] = await tx.query(
          `SELECT ${CHANGE_COLUMNS} FROM ${t.changes}
            WHERE position > $1 AND position <= $2 ORDER BY position`,
          [since, head],
        );
        return { mode: 'changes', changes: rows.map(toChange), head, generation };
      }
      const rows: ItemRow[] = await tx.query(
        `SELECT id, kind, portal, region, category, count, item_order, position, at, started_at, retracted
           FROM ${t.items}
          WHERE NOT retracted
            AND (portal = $1 OR portal IS NULL)
            AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
            AND ($3::text IS NULL OR region IS NULL OR region = $3)
            AND ($4::text IS NULL OR category IS NULL OR category = $4)
            AND position <= $5
          ORDER BY item_order DESC LIMIT $6`,
        [filter.portal, filter.types ?? null, filter.region ?? null, filter.category ?? null, head, limit],
      );
      const items = rows.map(toItem).filter((item) => matchesFilter(filter, item));
      return { mode: 'snapshot', items: items.map(stripInternal), head, generation };
    });
  }

  /**
   * The feed's changes with after < position <= upTo, in position order (every portal), of
   * `generation` (default: the live one). Pass the generation `state()` returned, so that a switch
   * in between cannot mix positions of two generations.
   */
  async between(
    after: number,
    upTo: number,
    limit = 1000,
    generation?: number,
  ): Promise<TickerChangeRecord[]> {
    const sql = (t: ReturnType<typeof activityTables>) =>
      `SELECT ${CHANGE_COLUMNS} FROM ${t.changes}
        WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`;
    // A named generation is one statement on one table (consistent by itself): no transaction, one
    // round trip instead of three (ticker nodes fill gaps with it).
    if (generation !== undefined) {
      const rows: ChangeRow[] = await this.db.query(sql(activityTables(generation)), [after, upTo, limit]);
      return rows.map(toChange);
    }
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const t = activityTables(await liveGeneration(tx, 'activity', 'none'));
      const rows: ChangeRow[] = await tx.query(sql(t), [after, upTo, limit]);
      return rows.map(toChange);
    });
  }

  /**
   * `between` for the publisher: the changes of `generation` with the event behind each and its
   * correlation id (the public activity topic carries them), in one statement.
   */
  async publishable(
    after: number,
    upTo: number,
    limit: number,
    generation: number,
  ): Promise<{ change: TickerChangeRecord; cause: ChangeCause | undefined }[]> {
    const t = activityTables(generation);
    const columns = CHANGE_COLUMNS.split(', ')
      .map((c) => `c.${c}`)
      .join(', ');
    const rows: (ChangeRow & { event_id: string | null; correlation_id: string | null })[] =
      await this.db.query(
        `SELECT ${columns}, c.event_id, e.metadata->>'correlationId' AS correlation_id
           FROM ${t.changes} c LEFT JOIN events e ON e.event_id = c.event_id
          WHERE c.position > $1 AND c.position <= $2 ORDER BY c.position LIMIT $3`,
        [after, upTo, limit],
      );
    return rows.map((row) => ({
      change: toChange(row),
      cause: row.event_id === null ? undefined : { eventId: row.event_id, correlationId: row.correlation_id },
    }));
  }

  /** The live generation, its feed's head (last committed position) and how far changes were published. */
  async state(): Promise<FeedState> {
    // One statement (one snapshot, one round trip: ticker nodes and the publisher poll it).
    const rows: { generation: number; feed_position: string; published_position: string }[] =
      await this.db.query(
        `SELECT l.generation, s.feed_position, s.published_position
           FROM projection_live l
           JOIN projection_state s ON s.projection = ${checkpointKeySql('activity', 'l.generation')}
          WHERE l.projection = 'activity'`,
      );
    const row = rows[0];
    if (!row) throw new Error('the activity projection has no live generation (migrations not run?)');
    return {
      generation: row.generation,
      head: Number(row.feed_position),
      published: Number(row.published_position),
    };
  }

  /** Records that changes up to `position` of `generation` (default: the live one) were published. */
  async markPublished(position: number, generation?: number): Promise<void> {
    // One statement: publishing marks after every batch, and ticker nodes compare against it.
    await this.db.query(
      `UPDATE projection_state SET published_position = GREATEST(published_position, $2)
        WHERE projection = (SELECT ${checkpointKeySql('activity', 'COALESCE($1::int, generation)')}
                              FROM projection_live WHERE projection = 'activity')`,
      [generation ?? null, position],
    );
  }
}

const stripInternal = ({ startedAt: _s, retracted: _r, ...record }: ActivityItem): TickerItemRecord => record;

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
    `SELECT id, kind, portal, region, category, count, item_order, position, at, started_at, retracted
       FROM ${t.items} WHERE id IN (SELECT item_id FROM ${t.slots} UNION SELECT item_id FROM ${t.members})`,
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
  versions: 'checkpoint' | 'direct',
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
  await tx.query(`UPDATE projection_state SET feed_position = $2, updated_at = now() WHERE projection = $1`, [
    t.name,
    position,
  ]);
}

/**
 * Each touched stream's folded version, written with the checkpoint. `checkpoint`: the streams born
 * since the last write (no row yet) by a plain insert in index order (no speculative insertion per
 * row), the others (touched again: an update or a close after the checkpoint that saw the posting)
 * upserted; `direct`: all upserted (the switch's small catch-up).
 */
async function saveRebuiltVersions(
  tx: EntityManager,
  t: ActivityTables,
  touched: ReadonlyMap<string, number>,
  born: ReadonlySet<string>,
  versions: 'checkpoint' | 'direct',
): Promise<void> {
  if (versions === 'direct') return saveVersions(tx, t, touched);
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
  await saveVersions(tx, t, again);
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

const changeColumns = (changes: readonly TickerChangeRecord[], causes: readonly string[]): unknown[] => [
  changes.map((c) => c.position),
  changes.map((c) => c.op),
  changes.map((c) => c.item.id),
  changes.map((c) => c.item.kind),
  changes.map((c) => c.previousKind),
  changes.map((c) => c.item.portal),
  changes.map((c) => c.item.region),
  changes.map((c) => c.item.category),
  changes.map((c) => c.item.count),
  changes.map((c) => c.item.order),
  changes.map((c) => c.item.at),
  causes,
];
