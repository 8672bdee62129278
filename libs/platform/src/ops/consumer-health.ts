/** What readiness and the metrics know of one consumer group in this process. */
export interface ConsumerStatus {
  readonly group: string;
  readonly topics: readonly string[];
  /** Messages not yet handled (null: not known, e.g. the transport did not answer). */
  readonly lag: number | null;
  /** Highest store position (ce_globalposition) this process handled for the group; null: none yet. */
  readonly appliedPosition: number | null;
  /** Since when its batches fail (null: the last one succeeded, or none came). */
  readonly failingSince: number | null;
  readonly lastError: string | null;
  /** The last moment it was known to make progress: a handled batch, no lag, or its start. */
  readonly lastProgressAt: number;
}

export interface ConsumerVerdict extends ConsumerStatus {
  readonly keepingUp: boolean;
  /** Why not, when it is not keeping up. */
  readonly reason: string | null;
}

type MutableStatus = { -readonly [K in keyof ConsumerStatus]: ConsumerStatus[K] };

/**
 * The consumer groups of this process and how they fare. The transport wrapper reports every
 * batch, the monitor reports lags; readiness and /metrics read the verdicts. A pure clock-driven
 * rule, so it is tested without any broker: a group keeps up unless its batches have failed for
 * longer than `stallMs`, or it has had lag for longer than `stallMs` without handling a batch.
 */
export class ConsumerHealth {
  private readonly groups = new Map<string, MutableStatus>();

  constructor(
    readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  subscribed(group: string, topics: readonly string[]): void {
    this.groups.set(group, {
      group,
      topics,
      lag: null,
      appliedPosition: null,
      failingSince: null,
      lastError: null,
      lastProgressAt: this.now(),
    });
  }

  stopped(group: string): void {
    this.groups.delete(group);
  }

  handled(group: string, appliedPosition: number | null): void {
    const status = this.groups.get(group);
    if (!status) return;
    status.failingSince = null;
    status.lastError = null;
    status.lastProgressAt = this.now();
    if (appliedPosition !== null) {
      status.appliedPosition = Math.max(status.appliedPosition ?? 0, appliedPosition);
    }
  }

  failed(group: string, error: unknown): void {
    const status = this.groups.get(group);
    if (!status) return;
    status.failingSince ??= this.now();
    status.lastError = error instanceof Error ? error.message : String(error);
  }

  lagged(group: string, lag: number | null): void {
    const status = this.groups.get(group);
    if (!status) return;
    status.lag = lag;
    if (lag === 0) status.lastProgressAt = this.now();
  }

  verdicts(): ConsumerVerdict[] {
    const now = this.now();
    return [...this.groups.values()].map((status) => {
      const reason =
        status.failingSince !== null && now - status.failingSince > this.stallMs
          ? `batches failing for ${now - status.failingSince} ms: ${status.lastError ?? ''}`
          : status.lag !== null && status.lag > 0 && now - status.lastProgressAt > this.stallMs
            ? `${status.lag} messages behind and no batch handled for ${now - status.lastProgressAt} ms`
            : null;
      return { ...status, keepingUp: reason === null, reason };
    });
  }
}
