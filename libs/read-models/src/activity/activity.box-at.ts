import { type EventType, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore, START, type StoreCheckpoint } from '@feedwerk/event-store';
import { type DataSource } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { readActivityEvents } from './activity.decoder';
import { type ActivityEvent, ActivityModel, type ActivityItem, type ActivityOptions } from './activity.fold';
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

const BATCH = 5_000;

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
   * event is after `at` holds none of them: the read goes from `base` to the end of the last
   * segment that may hold one (usually the next), in the rebuild's fast decoding, and takes the
   * events after the newest snapshot from the `occurred_at` index (usually none are that old).
   */
  private async tail(
    headers: readonly SnapshotHeader[],
    base: SnapshotHeader | null,
    at: Date,
  ): Promise<ActivityEvent[]> {
    const upTo = at.toISOString();
    const newest = headers.at(-1);
    const from = base?.checkpoint ?? START;
    if (newest === undefined || newest === base) return (await this.readFast(from, null, upTo)).events;
    const later = base === null ? headers : headers.slice(headers.indexOf(base) + 1);
    const last = later.filter((h) => h.minOccurred !== null && h.minOccurred <= upTo).at(-1);
    const segments = last ? await this.readFast(from, last.checkpoint, upTo) : null;
    // From where the read stopped (a batch may end past `last`, even past the newest snapshot).
    const rest =
      segments && compareCheckpoints(segments.end, newest.checkpoint) > 0 ? segments.end : newest.checkpoint;
    return [...(segments?.events ?? []), ...(await this.readIndexed(rest, at))];
  }

  /** Events after `from` (up to the batch that reaches `to`, or the frontier) that happened by `upTo`. */
  private async readFast(
    from: StoreCheckpoint,
    to: StoreCheckpoint | null,
    upTo: string,
  ): Promise<{ events: ActivityEvent[]; end: StoreCheckpoint }> {
    const events: ActivityEvent[] = [];
    let checkpoint = from;
    for (;;) {
      const batch = await readActivityEvents(this.store, checkpoint, BATCH);
      // Undecodable events are not in the batch: dead-lettered live, skipped by a rebuild, so here too.
      for (const event of batch.events) if (event.time <= upTo) events.push(event);
      checkpoint = batch.end;
      if (batch.count < BATCH || (to !== null && compareCheckpoints(checkpoint, to) >= 0))
        return { events, end: checkpoint };
    }
  }

  /** Events after `from` that happened by `at`, found by the occurred index (full rows, validated). */
  private async readIndexed(from: StoreCheckpoint, at: Date): Promise<ActivityEvent[]> {
    const events: ActivityEvent[] = [];
    let checkpoint = from;
    for (;;) {
      const batch = await this.store.readAllIn(
        { occurred: { upTo: at }, types: ACTIVITY_TYPES },
        checkpoint,
        BATCH,
      );
      for (const stored of batch) {
        try {
          events.push(toFeedEvent(stored));
        } catch {
          // Undecodable: skipped, as above.
        }
      }
      const last = batch.at(-1);
      if (!last || batch.length < BATCH) return events;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    }
  }
}

/** Commit order of two checkpoints (transaction ids are bigint, as text). */
function compareCheckpoints(a: StoreCheckpoint, b: StoreCheckpoint): number {
  const ta = BigInt(a.transactionId);
  const tb = BigInt(b.transactionId);
  return ta < tb ? -1 : ta > tb ? 1 : a.globalPosition - b.globalPosition;
}

/** The newest snapshot whose events all happened by `at` (ISO). */
function newestBefore(headers: readonly SnapshotHeader[], at: string): SnapshotHeader | null {
  let base: SnapshotHeader | null = null;
  for (const header of headers) if (header.maxOccurred === null || header.maxOccurred <= at) base = header;
  return base;
}

/** The state these events can touch (what the live projection loads for a batch). */
function wantsOf(events: readonly ActivityEvent[]): SnapshotWants {
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
