import { Module } from '@nestjs/common';
import { EventStore, EventStoreModule } from '@feedwerk/event-store';
import { FEEDWERK_CONFIG, type FeedwerkConfig, provideDatabaseSchema } from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { ActivityFeed, ActivityProjection, JobsProjection, readModelSchema } from '@feedwerk/read-models';
import { DeadLetterOffice, TransportModule } from '@feedwerk/transport';
import { DataSource } from 'typeorm';
import { ACTIVITY_GROUP, activityProjector } from './activity.projector';
import { JOBS_GROUP, jobsProjector } from './jobs.projector';
import { projectorProvider } from './projector';
import { TickerItemPublisher } from './ticker-item.publisher';

/** Transport → read models (+ ticker changes topic). Scale by adding instances to the consumer group. */
@Module({
  imports: [EventStoreModule, TransportModule],
  providers: [
    provideDatabaseSchema(privacySchema, readModelSchema),
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
