import { type EventEnvelope, type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';

/** What per-stream ordering makes of one delivered event. */
export type InOrder =
  | { readonly kind: 'seen' }
  /** The events to apply, in version order: the versions the transport skipped, then the event. */
  | { readonly kind: 'apply'; readonly events: readonly FeedEvent[]; readonly gapFilled: number };

/**
 * Per-stream order for every projection: an event at or below its stream's applied version is a
 * redelivery; one beyond the next version first pulls the missing versions from the store (the
 * store is the source of truth, the transport only a fast path). Advances `versions` on apply.
 */
export async function inStreamOrder(
  store: EventStore,
  tx: EntityManager,
  versions: Map<string, number>,
  event: FeedEvent,
): Promise<InOrder> {
  const last = versions.get(event.streamId) ?? 0;
  if (event.streamPosition <= last) return { kind: 'seen' };
  const missing =
    event.streamPosition > last + 1
      ? await rereadStream(store, tx, event.streamId, last + 1, event.streamPosition - 1)
      : [];
  versions.set(event.streamId, event.streamPosition);
  return { kind: 'apply', events: [...missing, event], gapFilled: missing.length };
}

/** Versions `from..to` of a stream, typed; all of them must be in the store already. */
export async function rereadStream(
  store: EventStore,
  tx: EntityManager,
  streamId: string,
  from: number,
  to: number,
): Promise<FeedEvent[]> {
  const stored: EventEnvelope<string, unknown>[] = await store.readStream(
    streamId,
    { fromVersion: from, toVersion: to },
    tx,
  );
  if (stored.length !== to - from + 1) {
    throw new Error(`stream ${streamId}: versions ${from}..${to} are not all in the store yet`);
  }
  return stored.map(toFeedEvent);
}
