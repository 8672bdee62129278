import { Module } from '@nestjs/common';
import { EventStore } from '@feedwerk/event-store';
import { ActivityFeed, ActivityProjection, JobsProjection } from '@feedwerk/read-models';
import { DeadLetterOffice, FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';
import { DataSource } from 'typeorm';
import { ACTIVITY_GROUP, activityProjector } from './activity.projector';
import { JOBS_GROUP, jobsProjector } from './jobs.projector';
import { projectorProvider } from './projector';
import { TickerItemPublisher } from './ticker-item.publisher';

/** Transport → read models (+ ticker changes topic). Scale by adding instances to the consumer group. */
@Module({
  providers: [
    {
      provide: ActivityProjection,
      useFactory: (db: DataSource, store: EventStore, config: FeedwerkConfig) =>
        new ActivityProjection(db, store, { burstWindowMs: config.TICKER_BURST_WINDOW_MS }),
      inject: [DataSource, EventStore, FEEDWERK_CONFIG],
    },
    { provide: ActivityFeed, useFactory: (db: DataSource) => new ActivityFeed(db), inject: [DataSource] },
    {
      provide: JobsProjection,
      useFactory: (db: DataSource, store: EventStore) => new JobsProjection(db, store),
      inject: [DataSource, EventStore],
    },
    DeadLetterOffice,
    projectorProvider(ACTIVITY_GROUP, activityProjector, [ActivityProjection, TickerItemPublisher]),
    projectorProvider(JOBS_GROUP, jobsProjector, [JobsProjection]),
    TickerItemPublisher,
  ],
})
export class ProjectorModule {}
