import { type Consumer } from 'kafkajs';

/**
 * A consumer's offset commits, batched in time. Every consumer of ours keeps its own checkpoint
 * (in the transaction of its effect) or drops what it has seen (ticker nodes, by feed position), so
 * the committed offset is only where a restarted or reassigned consumer starts reading: committing
 * it after every batch, as kafkajs' auto-commit does, cost a broker round trip per batch in every
 * consumer's loop (and the broker a write), for nothing but fewer records handled twice after a
 * crash. Here the handled offsets are committed together, at most once per interval, off the
 * consumer's loop; at worst one interval of records is handled again after a crash or a rebalance,
 * which the consumers are built for. Stopping commits what was handled. A failed commit is logged
 * and left to the next one (offsets only grow).
 */
export class OffsetCommits {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly intervalMs: number,
    private readonly warn: (message: string, error: unknown) => void,
  ) {}

  /** Records that everything up to `offset` of the partition is handled (commits the next offset). */
  async handled(topic: string, partition: number, offset: string): Promise<void> {
    this.pending.set(`${partition}\u0000${topic}`, {
      topic,
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    });
    if (this.intervalMs === 0) await this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
  }

  /** Commits what is pending now (after any commit still in flight, so commits stay in order). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return this.inFlight;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.inFlight = this.inFlight.then(() =>
      this.consumer.commitOffsets(offsets).catch((error: unknown) => {
        this.warn('committing offsets failed; they are committed with the next ones', error);
        // Put back what no newer offset replaced meanwhile.
        for (const entry of offsets) {
          const key = `${entry.partition}\u0000${entry.topic}`;
          if (!this.pending.has(key)) this.pending.set(key, entry);
        }
        this.schedule();
      }),
    );
    return this.inFlight;
  }

  /** Drops what is pending (the partitions may have moved to another member). */
  forget(): void {
    this.pending.clear();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
