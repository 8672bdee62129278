import { type TickerChange, type TickerItem } from './wire';

/**
 * The box's state: a map id → item and the feed position it reflects. Pure (no DOM, no socket), so
 * the rules below are unit-tested:
 * - A change at or below the remembered position is already in the box and is ignored, so a change
 *   delivered twice (an ack's catch-up and a live copy) is applied once.
 * - The box holds `capacity` items (more than it shows: a retracted item's place is filled from the
 *   reserve instead of leaving a hole); the ones with the lowest `order` go first.
 * - Items are shown by `order` (where they first entered the feed), newest first: an item updated in
 *   place keeps its place.
 */
export class TickerBox {
  private readonly items = new Map<string, TickerItem>();
  /** The feed position the box reflects: resume from here. null until the first snapshot. */
  private at: number | null = null;

  constructor(private readonly capacity: number) {}

  get position(): number | null {
    return this.at;
  }

  /** A snapshot: the box becomes exactly these items as of `head`. */
  replace(items: readonly TickerItem[], head: number): void {
    this.items.clear();
    for (const item of items) this.items.set(item.id, item);
    this.trim();
    this.at = head;
  }

  /** Applies one change in feed order; false when it was already applied (or the box has no snapshot yet). */
  apply(change: TickerChange): boolean {
    if (this.at === null || change.position <= this.at) return false;
    this.at = change.position;
    if (change.op === 'retract') return this.items.delete(change.id);
    this.items.set(change.item.id, change.item);
    this.trim();
    return true;
  }

  /** The server has served everything up to `head` (changes that did not match the filters were not sent). */
  advance(head: number): void {
    if (this.at !== null && head > this.at) this.at = head;
  }

  /** The newest `max` items, newest first. */
  visible(max: number): TickerItem[] {
    return this.sorted().slice(0, max);
  }

  private sorted(): TickerItem[] {
    return [...this.items.values()].sort((a, b) => b.order - a.order || b.position - a.position);
  }

  private trim(): void {
    if (this.items.size <= this.capacity) return;
    for (const stale of this.sorted().slice(this.capacity)) this.items.delete(stale.id);
  }
}
