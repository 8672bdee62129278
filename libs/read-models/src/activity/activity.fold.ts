import { createHash } from 'node:crypto';
import {
  type EventData,
  type EventType,
  type TickerChangeRecord,
  type TickerItemRecord,
  type TickerKind,
} from '@feedwerk/contracts';

/** An item of the box as the projection keeps it: the public record plus what aggregation needs. */
export interface ActivityItem extends TickerItemRecord {
  /** Time of the item's first event: a burst window is measured from it (events' own times). */
  readonly startedAt: string;
  readonly retracted: boolean;
}

/** Which item a job's posting or a CV upload counted towards, so a close or an erasure can take it back. */
export interface ActivityMember {
  readonly itemId: string;
  /** The stream the member came from (`job:<id>`, `candidate:<id>`): an erasure finds its rows by it. */
  readonly subject: string;
}

export interface ActivityOptions {
  /** Postings (and CV uploads) on one portal within this window of the item's first one become one item. */
  readonly burstWindowMs: number;
}

export const DEFAULT_BURST_WINDOW_MS = 60_000;

/**
 * Takes the changes of `ActivityModel.applyInto` as they happen: the item as the model now keeps it
 * (items are replaced, never mutated, so it stays as it is) and what a change record would carry
 * besides it. No record is built: a rebuild keeps only the newest changes (`toChangeRecord`).
 */
export interface ChangeSink {
  change(op: TickerChangeRecord['op'], item: ActivityItem, previousKind: TickerKind | null): void;
}

/** An event as the fold sees it: the envelope fields and the payload fields it reads, nothing else. */
interface Slim<T extends EventType, D> {
  readonly id: string;
  readonly type: T;
  readonly time: string;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly data: D;
}

/**
 * Exactly what `ActivityModel.apply` reads of each event type (every FeedEvent is one). Narrow on
 * purpose: a rebuild reads only these fields from the store (`readActivityEvents`), so a field the
 * fold starts to use must be added here, which makes the compiler point at that reader.
 */
export type ActivityEvent =
  | Slim<
      'JobPosted',
      Pick<EventData<'JobPosted'>, 'jobId' | 'portal' | 'category' | 'source'> & {
        readonly location: Pick<EventData<'JobPosted'>['location'], 'region'>;
      }
    >
  | Slim<
      'CvUploaded',
      Pick<EventData<'CvUploaded'>, 'cvId' | 'portal'> & {
        readonly public: Pick<EventData<'CvUploaded'>['public'], 'region' | 'category'>;
      }
    >
  | Slim<'JobUpdated', Pick<EventData<'JobUpdated'>, 'portal' | 'region' | 'category'>>
  | Slim<'JobsRefreshed', Pick<EventData<'JobsRefreshed'>, 'portals'>>
  | Slim<'BlogPostPublished', Pick<EventData<'BlogPostPublished'>, 'portal'>>
  | Slim<'EmployerRegistered', Pick<EventData<'EmployerRegistered'>, never>>
  | Slim<'JobClosed', Pick<EventData<'JobClosed'>, 'jobId'>>
  | Slim<'CandidateErased', Pick<EventData<'CandidateErased'>, 'candidateId'>>
  | Slim<'AdminActionRecorded', Pick<EventData<'AdminActionRecorded'>, never>>;

/**
 * The activity projection's state, and its rule as a pure fold: `apply(event)` turns an event into
 * changes of the box and updates the state. Deterministic (item ids derive from event ids, times
 * from the events), so a rebuild from position 0 gives the same feed as the live projection.
 *
 * Only public fields are copied into items; a CV upload contributes its portal and at most its
 * public region and category, never the headline or any id.
 *
 * Invariant: an item's portal, region and category only widen (a value becomes null = "several"),
 * never narrow, so a client whose filter matched an item keeps matching it until it is retracted.
 */
export class ActivityModel {
  readonly items = new Map<string, ActivityItem>();
  /** Open aggregation slot per portal and family (`jobs:<portal>`, `cvs:<portal>`) → item id. */
  readonly slots = new Map<string, string>();
  /** `job:<jobId>` / `cv:<cvId>` → the item it counted towards. */
  readonly members = new Map<string, ActivityMember>();
  /** What changed since `takeDirty()`: the adapter persists exactly these. */
  private dirty = ActivityModel.clean();

  /** Set during `applyInto`: changes go there instead of into records. */
  private sink: ChangeSink | null = null;
  /** The item the latest change touched (aggregate opens its slot on it). */
  private touched: ActivityItem | null = null;

  constructor(
    private readonly options: ActivityOptions,
    /** The feed position of the last change. */
    public position = 0,
  ) {}

  /** `apply`, with the changes handed to `sink` instead of returned as records (a rebuild's fold). */
  applyInto(event: ActivityEvent, sink: ChangeSink): void {
    this.sink = sink;
    try {
      this.apply(event);
    } finally {
      this.sink = null;
    }
  }

  apply(event: ActivityEvent): TickerChangeRecord[] {
    switch (event.type) {
      case 'JobPosted': {
        const { portal, location, category, jobId } = event.data;
        const kind = event.data.source === 'import' ? 'job.imported' : 'job.posted';
        return this.aggregate(event, `jobs:${portal}`, 'jobs.burst', `job:${jobId}`, {
          kind,
          portal,
          region: location.region,
          category,
        });
      }
      case 'CvUploaded': {
        const { portal, cvId } = event.data;
        // Only the portal and the public region/category: no headline, no candidate or CV id.
        return this.aggregate(event, `cvs:${portal}`, 'cv.uploaded', `cv:${cvId}`, {
          kind: 'cv.uploaded',
          portal,
          region: event.data.public.region,
          category: event.data.public.category,
        });
      }
      case 'JobUpdated':
        return [
          this.add(event, 0, {
            kind: 'job.updated',
            portal: event.data.portal,
            region: event.data.region,
            category: event.data.category,
            count: 1,
          }),
        ];
      case 'JobsRefreshed':
        // One item per portal with its count; refreshes do not aggregate with each other.
        return event.data.portals.map((p, index) =>
          this.add(event, index, {
            kind: 'jobs.refreshed',
            portal: p.portal,
            region: null,
            category: null,
            count: p.count,
          }),
        );
      case 'BlogPostPublished':
        return [
          this.add(event, 0, {
            kind: 'blog.published',
            portal: event.data.portal,
            region: null,
            category: null,
            count: 1,
          }),
        ];
      case 'EmployerRegistered':
        // Site-wide: an employer is not tied to one portal. Nothing about the company is copied.
        return [
          this.add(event, 0, {
            kind: 'employer.registered',
            portal: null,
            region: null,
            category: null,
            count: 1,
          }),
        ];
      case 'JobClosed':
        return this.withdraw([`job:${event.data.jobId}`]);
      case 'CandidateErased': {
        // Everything derived from the candidate goes: their uploads leave the counts (or the box).
        const subject = `candidate:${event.data.candidateId}`;
        const keys = [...this.members].filter(([, m]) => m.subject === subject).map(([key]) => key);
        return this.withdraw(keys);
      }
      case 'AdminActionRecorded':
        // The audit log is internal: the box never shows what admins do.
        return [];
    }
  }

  /** The items, slots and members changed since the last call. */
  takeDirty(): {
    items: ActivityItem[];
    slots: [string, string | null][];
    members: [string, ActivityMember | null][];
    /** Dirty members that had no value at the previous call (so none was written for them then). */
    newMembers: ReadonlySet<string>;
  } {
    const taken = {
      items: [...this.dirty.items].map((id) => this.items.get(id)!),
      slots: [...this.dirty.slots].map((key): [string, string | null] => [key, this.slots.get(key) ?? null]),
      members: [...this.dirty.members].map((key): [string, ActivityMember | null] => [
        key,
        this.members.get(key) ?? null,
      ]),
      newMembers: this.dirty.newMembers,
    };
    this.dirty = ActivityModel.clean();
    return taken;
  }

  private static clean() {
    return {
      items: new Set<string>(),
      slots: new Set<string>(),
      members: new Set<string>(),
      newMembers: new Set<string>(),
    };
  }

  /**
   * A posting or an upload: joins the portal's open item if that started less than the window ago
   * (by the events' own times) and is still shown; otherwise starts a new item and opens the slot.
   */
  private aggregate(
    event: ActivityEvent,
    slot: string,
    burstKind: TickerKind,
    member: string,
    single: Pick<ActivityItem, 'kind' | 'portal' | 'region' | 'category'>,
  ): TickerChangeRecord[] {
    if (this.members.has(member)) return []; // the same job or CV counted already
    const openId = this.slots.get(slot);
    const open = openId === undefined ? undefined : this.items.get(openId);
    const at = Date.parse(event.time);
    // Events of different streams need not arrive in time order: the distance counts, not its sign.
    if (open && !open.retracted && Math.abs(at - Date.parse(open.startedAt)) < this.options.burstWindowMs) {
      // What upsert() makes of the grown item, built once (a rebuild grows an item per posting).
      this.position += 1;
      const latest = at > Date.parse(open.at) ? event.time : open.at;
      const grown: ActivityItem = {
        id: open.id,
        kind: burstKind,
        count: open.count + 1,
        portal: open.portal,
        region: open.region === single.region ? open.region : null,
        category: open.category === single.category ? open.category : null,
        order: open.order,
        position: this.position,
        at: burstKind === 'cv.uploaded' ? coarse(latest) : latest,
        startedAt: open.startedAt,
        retracted: false,
      };
      this.addMember(member, { itemId: open.id, subject: event.streamId });
      return [this.record('upsert', grown, open.kind)];
    }
    const change = this.add(event, 0, { ...single, count: 1 });
    const id = this.touched!.id;
    this.slots.set(slot, id);
    this.dirty.slots.add(slot);
    this.addMember(member, { itemId: id, subject: event.streamId });
    return [change];
  }

  /** Takes members back: each one decrements its item, which is retracted at zero. Members are deleted. */
  private withdraw(keys: readonly string[]): TickerChangeRecord[] {
    const changes: TickerChangeRecord[] = [];
    for (const key of keys) {
      const member = this.members.get(key);
      if (!member) continue;
      this.members.delete(key);
      this.dirty.members.add(key);
      const item = this.items.get(member.itemId);
      if (!item || item.retracted) continue;
      if (item.count <= 1) changes.push(this.retract(item));
      else changes.push(this.upsert({ ...item, count: item.count - 1 }, item.kind));
    }
    return changes;
  }

  private add(
    event: ActivityEvent,
    index: number,
    fields: Pick<ActivityItem, 'kind' | 'portal' | 'region' | 'category' | 'count'>,
  ): TickerChangeRecord {
    this.position += 1;
    const at = fields.kind === 'cv.uploaded' ? coarse(event.time) : event.time;
    const item: ActivityItem = {
      // A CV item's id is derived, not the upload's event id: nothing on the item leads back to it.
      id: deriveId(event.id, fields.kind === 'cv.uploaded' ? index + 1 : index),
      kind: fields.kind,
      count: fields.count,
      portal: fields.portal,
      region: fields.region,
      category: fields.category,
      order: this.position,
      position: this.position,
      at,
      startedAt: event.time,
      retracted: false,
    };
    return this.record('upsert', item, null);
  }

  private upsert(item: ActivityItem, previousKind: TickerKind): TickerChangeRecord {
    this.position += 1;
    const at = item.kind === 'cv.uploaded' ? coarse(item.at) : item.at;
    return this.record('upsert', { ...item, at, position: this.position }, previousKind);
  }

  private retract(item: ActivityItem): TickerChangeRecord {
    this.position += 1;
    return this.record('retract', { ...item, position: this.position, retracted: true }, null);
  }

  private record(
    op: TickerChangeRecord['op'],
    item: ActivityItem,
    previousKind: TickerKind | null,
  ): TickerChangeRecord {
    this.items.set(item.id, item);
    this.dirty.items.add(item.id);
    this.touched = item;
    const previous = previousKind !== null && previousKind !== item.kind ? previousKind : null;
    if (this.sink) {
      this.sink.change(op, item, previous);
      return HANDED_OVER;
    }
    return toChangeRecord(op, item, previous);
  }

  /** A member that is absent now (aggregate checked). */
  private addMember(key: string, member: ActivityMember): void {
    // Absent and not dirty: it had no value at the last takeDirty either.
    if (!this.dirty.members.has(key)) this.dirty.newMembers.add(key);
    this.members.set(key, member);
    this.dirty.members.add(key);
  }
}

/** A change as `apply` returns it (and `applyInto` hands over its parts). */
export const toChangeRecord = (
  op: TickerChangeRecord['op'],
  item: ActivityItem,
  previousKind: TickerKind | null,
): TickerChangeRecord => ({ op, position: item.position, item: toRecord(item), previousKind });

/** What `apply` returns for a change handed to a sink (never read: applyInto drops the result). */
const HANDED_OVER: TickerChangeRecord = {
  op: 'upsert',
  position: 0,
  item: {
    id: '00000000-0000-0000-0000-000000000000',
    kind: 'job.posted',
    count: 0,
    portal: null,
    region: null,
    category: null,
    order: 0,
    position: 0,
    at: '1970-01-01T00:00:00.000Z',
  },
  previousKind: null,
};

/** The public part of an item (what clients and the topic see). */
export const toRecord = (item: ActivityItem): TickerItemRecord => ({
  id: item.id,
  kind: item.kind,
  count: item.count,
  portal: item.portal,
  region: item.region,
  category: item.category,
  order: item.order,
  position: item.position,
  at: item.at,
});

/** CV items show the minute, not the second: an exact time could single a candidate out. */
const coarse = (iso: string): string => {
  const at = new Date(iso);
  at.setUTCSeconds(0, 0);
  return at.toISOString();
};

/** The first item of an event takes the event's id; further ones a name-based uuid derived from it. */
export function deriveId(eventId: string, index: number): string {
  if (index === 0) return eventId;
  const hex = createHash('sha1').update(`${eventId}/${index}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Folds a whole history from scratch: the reference a rebuild is compared with. */
export function foldActivity(
  events: Iterable<ActivityEvent>,
  options: ActivityOptions,
): { changes: TickerChangeRecord[]; model: ActivityModel } {
  const model = new ActivityModel(options);
  const changes: TickerChangeRecord[] = [];
  for (const event of events) changes.push(...model.apply(event));
  return { changes, model };
}
