import { Module } from '@nestjs/common';
import { EventStore } from '@feedwerk/event-store';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';
import { ActivityHistory, ActivitySnapshotJob } from '@feedwerk/read-models';
import { DataSource } from 'typeorm';
import { AdminPageController } from '../page/admin-page.controller';
import { HistoryController } from './history.controller';
import { HistoryReader } from './history.reader';
import { HistoryService } from './history.service';
import { SnapshotWorker } from './snapshot.worker';

/**
 * The history browser (events, streams, state at a version or time, the box at a time, with the
 * snapshot job that keeps the box at a time cheap) and the admin page, which serves every admin
 * feature (history, rebuilds, republishes) from one shell.
 */
@Module({
  controllers: [HistoryController, AdminPageController],
  providers: [
    HistoryReader,
    HistoryService,
    {
      provide: ActivityHistory,
      useFactory: (db: DataSource, store: EventStore, config: FeedwerkConfig) =>
        new ActivityHistory(db, store, { burstWindowMs: config.TICKER_BURST_WINDOW_MS }),
      inject: [DataSource, EventStore, FEEDWERK_CONFIG],
    },
    {
      provide: ActivitySnapshotJob,
      useFactory: (db: DataSource, store: EventStore, config: FeedwerkConfig) =>
        new ActivitySnapshotJob(db, store, {
          burstWindowMs: config.TICKER_BURST_WINDOW_MS,
          every: config.SNAPSHOT_EVERY,
        }),
      inject: [DataSource, EventStore, FEEDWERK_CONFIG],
    },
    SnapshotWorker,
  ],
})
export class HistoryModule {}
