import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore, type StoreCheckpoint, type StoredEvent } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';
import { type GenerationBuilder, type StoreBatch } from '../projection/projection';

/**
 * Builds a generation of the jobs projection: its rows hold their streams' versions, so the
 * builder keeps no model, only the events read since the last cut, and applies them with the live
 * path's own rules (`apply`: per-stream order and exactly-once, in the caller's transaction).
 */
export class JobsBuilder implements GenerationBuilder<FeedEvent, readonly FeedEvent[]> {
  private folded: FeedEvent[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly apply: (tx: EntityManager, events: readonly FeedEvent[]) => Promise<unknown>,
  ) {}

  async read(from: StoreCheckpoint, limit: number, tx?: EntityManager): Promise<StoreBatch<FeedEvent>> {
    const stored = await this.store.readAll(from, limit, tx);
    const last = stored.at(-1);
    return {
      count: stored.length,
      events: decodable(stored),
      end: last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : from,
    };
  }

  fold(events: readonly FeedEvent[]): void {
    this.folded.push(...events);
  }

  cut(): readonly FeedEvent[] {
    const cut = this.folded;
    this.folded = [];
    return cut;
  }

  async write(tx: EntityManager, cut: readonly FeedEvent[]): Promise<void> {
    await this.apply(tx, cut);
  }
}

/**
 * The events a projection can fold. An event that cannot be decoded is what the live projectors
 * dead-letter; the rebuild skips it the same way, so both generations agree.
 */
function decodable(stored: readonly StoredEvent[]): FeedEvent[] {
  const events: FeedEvent[] = [];
  for (const event of stored) {
    try {
      events.push(toFeedEvent(event));
    } catch {
      // See above: skipped like the live projection's dead letters.
    }
  }
  return events;
}
