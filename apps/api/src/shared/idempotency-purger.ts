import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EventStore } from '@feedwerk/event-store';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';

const HOUR = 3_600_000;

/**
 * Deletes idempotency keys older than IDEMPOTENCY_TTL_HOURS (24 h by default), at start-up and then
 * hourly. Retries come within minutes; after the TTL the same key counts as a new request. Several
 * api instances purging at once is harmless (the DELETE is idempotent).
 */
@Injectable()
export class IdempotencyPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(IdempotencyPurger.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: EventStore,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.purge();
    this.timer = setInterval(() => void this.purge(), HOUR);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async purge(): Promise<number> {
    try {
      const purged = await this.store.purgeIdempotencyKeys(
        new Date(Date.now() - this.config.IDEMPOTENCY_TTL_HOURS * HOUR),
      );
      if (purged > 0) this.log.log(`purged ${purged} idempotency keys`);
      return purged;
    } catch (error) {
      this.log.warn(
        `idempotency key purge failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 0;
    }
  }
}
