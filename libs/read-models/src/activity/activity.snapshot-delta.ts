import {
  type ActivityEvent,
  type ActivityItem,
  type ActivityMember,
  type ActivityModel,
} from './activity.fold';

/** What a fold saw of its events besides their effect: how many, their time span, the erasures. */
export interface SegmentStats {
  readonly events: number;
  /** ISO times (one format, so the text order is the time order); null when no event was seen. */
  readonly minOccurred: string | null;
  readonly maxOccurred: string | null;
  /** CandidateErased events seen: event id → candidate id. */
  readonly erasures: ReadonlyMap<string, string>;
}

/** Counts the events of a fold as they pass (a builder's segment between two cuts). */
export class SegmentCounter {
  private events = 0;
  private minOccurred: string | null = null;
  private maxOccurred: string | null = null;
  private erasures = new Map<string, string>();

  observe(event: ActivityEvent): void {
    this.events += 1;
    if (this.minOccurred === null || event.time < this.minOccurred) this.minOccurred = event.time;
    if (this.maxOccurred === null || event.time > this.maxOccurred) this.maxOccurred = event.time;
    if (event.type === 'CandidateErased') this.erasures.set(event.id, event.data.candidateId);
  }

  /** Events seen since the last take. */
  peek(): number {
    return this.events;
  }

  /** What was seen since the last take; counting starts afresh. */
  take(): SegmentStats {
    const stats = {
      events: this.events,
      minOccurred: this.minOccurred,
      maxOccurred: this.maxOccurred,
      erasures: this.erasures,
    };
    this.events = 0;
    this.minOccurred = null;
    this.maxOccurred = null;
    this.erasures = new Map();
    return stats;
  }
}

/**
 * What changed in the model since the last snapshot: the dirty items, slots and members of one or
 * more cuts merged (a later value wins), and the stats of their events. A snapshot writes exactly
 * this as new row versions.
 */
export class SnapshotDelta {
  readonly items = new Map<string, ActivityItem>();
  readonly slots = new Map<string, string | null>();
  readonly members = new Map<string, ActivityMember | null>();
  readonly erasures = new Map<string, string>();
  events = 0;
  minOccurred: string | null = null;
  maxOccurred: string | null = null;

  add(dirty: ReturnType<ActivityModel['takeDirty']>, stats: SegmentStats): void {
    for (const item of dirty.items) this.items.set(item.id, item);
    for (const [key, value] of dirty.slots) this.slots.set(key, value);
    for (const [key, value] of dirty.members) this.members.set(key, value);
    for (const [eventId, candidateId] of stats.erasures) this.erasures.set(eventId, candidateId);
    this.events += stats.events;
    if (stats.minOccurred !== null && (this.minOccurred === null || stats.minOccurred < this.minOccurred))
      this.minOccurred = stats.minOccurred;
    if (stats.maxOccurred !== null && (this.maxOccurred === null || stats.maxOccurred > this.maxOccurred))
      this.maxOccurred = stats.maxOccurred;
  }
}
