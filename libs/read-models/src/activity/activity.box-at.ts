import { type EventType, toFeedEvent, type FeedEvent } from '@feedwerk/contracts';
import { type EventStore, START, type StoreCheckpoint } from '@feedwerk/event-store';
import { type DataSource } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { ActivityModel, type ActivityItem, type ActivityOptions } from './activity.fold';
import { loadSnapshotState, snapshotBoxItems, type SnapshotWants } from './activity.snapshot-reads';
import { type SnapshotHeader, snapshotHeaders } from './activity.snapshot-store';

/** The event types the activity model reacts to (the audit log never reaches the box). */
export const ACTIVITY_TYPES: readonly EventType[] = [
  'EmployerRegistered',
  'JobPosted',
  'JobUpdated',
  'JobClosed',
  'JobsRefreshed',
  'BlogPostPublished',
  'CvUploaded',
  'CandidateErased',
];

export interface BoxAt {
  /** The portal's shown items then, newest first (at most `limit`). */
  readonly items: readonly ActivityItem[];
  /** The feed position the fold had reached (a fold from position 0 of the events up to then). */
  readonly position: number;
  /** Events folded after the snapshot. */
  readonly eventsFolded: number;
  /** The snapshot it started from (null: from position 0). */
  readonly snapshot: { readonly generation: number; readonly seq: number; readonly events: number } | null;
}

const BATCH = 1_000;

/**
 * The box of a portal as it was at a time, from the newest snapshot that folded nothing later than
 * that time plus the events after it that happened by then: exactly a fold from position 0 of every
 * event that happened by then, in commit order (the snapshot's events all did; the later ones are
 * read in the same order), at a cost bounded by the events between snapshots, not by the history.
 */
export class ActivityHistory {
  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    private readonly options: ActivityOptions,
  ) {}

  async boxAt(query: { at: Date; portal: string; limit: number }): Promise<BoxAt> {
    const at = query.at.toISOString();
    const generation = await liveGeneration(this.db.manager, 'activity', 'none');
    const headers = await snapshotHeaders(this.db.manager, generation);
    const base = newestBefore(headers, at);
    const events = await this.tail(headers, base, query.at);
    const model = new ActivityModel(this.options, base?.feedPosition ?? 0);
    if (base) await loadSnapshotState(this.db.manager, generation, base.seq, model, wantsOf(events));
    for (const event of events) model.apply(event);
    const touched = [...model.items.values()];
    const shown = touched.filter(
      (item) => !item.retracted && (item.portal === null || item.portal === query.portal),
    );
    if (base) {
      // Items the tail touched are in the model as they are now; the snapshot's version is older.
      const ids = new Set(touched.map((item) => item.id));
      const earlier = await snapshotBoxItems(
        this.db.manager,
        generation,
        base.seq,
        base.feedPosition,
        query.portal,
        query.limit + ids.size,
      );
      shown.push(...earlier.filter((item) => !ids.has(item.id)));
    }
    return {
      items: shown.sort((a, b) => b.order - a.order).slice(0, query.limit),
      position: model.position,
      eventsFolded: events.length,
      snapshot: base ? { generation, seq: base.seq, events: base.events } : null,
    };
  }

  /**
   * The events after `base` that happened by `at`, in commit order. A later segment whose oldest
   * event is after `at` holds none of them, so the read starts at the oldest time any later
   * segment (or the events after the newest snapshot) can contribute: the occurred index serves
   * it, and a box in the past reads about a segment's events, not the rest of the history.
   */
  private async tail(
    headers: readonly SnapshotHeader[],
    base: SnapshotHeader | null,
    at: Date,
  ): Promise<FeedEvent[]> {
    const newest = headers.at(-1);
    const from = base?.checkpoint ?? START;
    if (newest === undefined || newest === base) return this.read({ upTo: at }, from);
    const open = await this.read({ upTo: at }, newest.checkpoint);
    const later = base === null ? headers : headers.slice(headers.indexOf(base) + 1);
    const earliest = [...later.map((h) => h.minOccurred), ...open.map((e) => e.time)]
      .filter((t): t is string => t !== null)
      .sort()[0];
    if (earliest === undefined || earliest > at.toISOString()) return [];
    return this.read({ from: new Date(earliest), upTo: at }, from);
  }

  private async read(occurred: { from?: Date; upTo: Date }, from: StoreCheckpoint): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    let checkpoint = from;
    for (;;) {
      const batch = await this.store.readAllIn({ occurred, types: ACTIVITY_TYPES }, checkpoint, BATCH);
      for (const stored of batch) {
        try {
          events.push(toFeedEvent(stored));
        } catch {
          // Undecodable: dead-lettered by the live projection and skipped by a rebuild, so here too.
        }
      }
      const last = batch.at(-1);
      if (!last || batch.length < BATCH) return events;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    }
  }
}

/** The newest snapshot whose events all happened by `at` (ISO). */
function newestBefore(headers: readonly SnapshotHeader[], at: string): SnapshotHeader | null {
  let base: SnapshotHeader | null = null;
  for (const header of headers) if (header.maxOccurred === null || header.maxOccurred <= at) base = header;
  return base;
}

/** The state these events can touch (what the live projection loads for a batch). */
function wantsOf(events: readonly FeedEvent[]): SnapshotWants {
  const slots = new Set<string>();
  const members = new Set<string>();
  const erasures = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'JobPosted') {
      slots.add(`jobs:${event.data.portal}`);
      members.add(`job:${event.data.jobId}`);
    } else if (event.type === 'CvUploaded') {
      slots.add(`cvs:${event.data.portal}`);
      members.add(`cv:${event.data.cvId}`);
    } else if (event.type === 'JobClosed') members.add(`job:${event.data.jobId}`);
    else if (event.type === 'CandidateErased') erasures.set(event.id, event.data.candidateId);
  }
  return { slots: [...slots], members: [...members], erasures };
}
