import { Inject, Injectable } from '@nestjs/common';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';

/**
 * Who may open the ticker: page origins allow-listed per portal, and at most
 * TICKER_MAX_CONNECTIONS_PER_IP open connections (socket.io and SSE together) per client IP.
 *
 * A request without an Origin header is not from a page (browsers always send one on cross-origin
 * and websocket requests); it is let through, since a non-browser client can forge any Origin
 * anyway. The allow-list is an abuse and licensing control, the per-IP cap bounds what one client
 * can hold open.
 */
@Injectable()
export class TickerAccess {
  private readonly open = new Map<string, number>();
  rejected = 0;

  constructor(@Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig) {}

  /** Whether any portal allows this origin (the handshake does not know the portal yet). */
  originAllowedSomewhere(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    for (const origins of this.config.TICKER_ALLOWED_ORIGINS.values()) {
      if (origins.has('*') || origins.has(origin)) return true;
    }
    return false;
  }

  /** Whether a page at `origin` may show `portal`'s box. */
  originAllowed(portal: string, origin: string | undefined): boolean {
    if (origin === undefined) return true;
    return [portal, '*'].some((key) => {
      const origins = this.config.TICKER_ALLOWED_ORIGINS.get(key);
      return origins !== undefined && (origins.has('*') || origins.has(origin));
    });
  }

  /** Takes one of the IP's connection slots; false when it has none left. */
  acquire(ip: string): boolean {
    const count = this.open.get(ip) ?? 0;
    if (count >= this.config.TICKER_MAX_CONNECTIONS_PER_IP) {
      this.rejected += 1;
      return false;
    }
    this.open.set(ip, count + 1);
    return true;
  }

  release(ip: string): void {
    const count = (this.open.get(ip) ?? 0) - 1;
    if (count > 0) this.open.set(ip, count);
    else this.open.delete(ip);
  }
}

/** A header's single value (`origin`, `last-event-id`), or undefined. */
export const headerValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;
