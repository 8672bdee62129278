import { type OnApplicationShutdown } from '@nestjs/common';
import { type ThrottlerStorage } from '@nestjs/throttler';

interface Window {
  /** Expiry times of the hits in the window, ascending; live ones start at `head`. */
  hits: number[];
  head: number;
  expiresAt: number;
  blocked: boolean;
  blockExpiresAt: number;
}

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The throttler's in-memory sliding-window log with the library storage's semantics (same hits,
 * blocks and expiry answers), but pruning expired hits from the front of the log instead of
 * filtering the whole log on every request: the library's storage spent O(hits in the window) per
 * request, the largest single cost of POST /jobs in the ingest benchmark (scripts/bench/ingest.mjs).
 * Hits of one key are appended with the same ttl, so their expiry times are ascending.
 */
export class SlidingWindowStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 60_000,
  ) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<StorageRecord> {
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepEveryMs).unref();
    const now = this.now();
    let window = this.windows.get(key);
    if (!window) {
      window = { hits: [], head: 0, expiresAt: now + ttl, blocked: false, blockExpiresAt: 0 };
      this.windows.set(key, window);
    }
    prune(window, now);
    if (window.expiresAt <= now) window.expiresAt = now + ttl;
    const timeToExpire = Math.ceil((window.expiresAt - now) / 1000);

    if (blockDuration <= 0) {
      const blocked = live(window) >= limit;
      if (!blocked) window.hits.push(now + ttl);
      const oldest = window.hits[window.head];
      return Promise.resolve({
        totalHits: live(window) + (blocked ? 1 : 0),
        timeToExpire,
        isBlocked: blocked,
        timeToBlockExpire: blocked && oldest !== undefined ? Math.ceil((oldest - now) / 1000) : 0,
      });
    }
    if (!window.blocked) window.hits.push(now + ttl);
    if (live(window) > limit && !window.blocked) {
      window.blocked = true;
      window.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((window.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && window.blocked) {
      // The block is over: the window starts afresh with this request.
      window.blocked = false;
      window.hits = [now + ttl];
      window.head = 0;
    }
    return Promise.resolve({
      totalHits: live(window),
      timeToExpire,
      isBlocked: window.blocked,
      timeToBlockExpire,
    });
  }

  /** Drops keys with nothing left to remember, so that the map does not grow with every client ever seen. */
  sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (window.blocked && window.blockExpiresAt > now) continue;
      if (window.expiresAt > now) continue;
      prune(window, now);
      if (live(window) > 0) continue;
      this.windows.delete(key);
    }
  }

  /** Keys currently remembered (tests). */
  get size(): number {
    return this.windows.size;
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.windows.clear();
  }
}

const live = (window: Window) => window.hits.length - window.head;

function prune(window: Window, now: number): void {
  const { hits } = window;
  let head = window.head;
  while (head < hits.length && hits[head]! <= now) head += 1;
  // Compacted now and then (not on every expiry): amortised O(1) per hit.
  if (head > 1_024 && head * 2 > hits.length) {
    window.hits = hits.slice(head);
    head = 0;
  }
  window.head = head;
}
