import { Module } from '@nestjs/common';
import { EventStore } from '@feedwerk/event-store';
import { RebuildEngine, readModelProjections } from '@feedwerk/read-models';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';
import { DataSource } from 'typeorm';
import { AdminGuard } from '@feedwerk/platform';
import { RebuildController } from './rebuild.controller';
import { RebuildWorker } from './rebuild.worker';

/** Blue/green rebuilds of the read models: the admin API and the builder that runs them. */
@Module({
  controllers: [RebuildController],
  providers: [
    {
      provide: RebuildEngine,
      useFactory: (db: DataSource, store: EventStore, config: FeedwerkConfig) =>
        new RebuildEngine(
          db,
          store,
          readModelProjections(db, store, {
            burstWindowMs: config.TICKER_BURST_WINDOW_MS,
            // A rebuilt log keeps at least what a ticker client may catch up on (older: a snapshot).
            retainChanges: Math.max(10_000, config.TICKER_MAX_CATCH_UP),
          }),
          { batchSize: config.REBUILD_BATCH_SIZE },
        ),
      inject: [DataSource, EventStore, FEEDWERK_CONFIG],
    },
    RebuildWorker,
    AdminGuard,
  ],
  exports: [RebuildEngine],
})
export class RebuildModule {}
