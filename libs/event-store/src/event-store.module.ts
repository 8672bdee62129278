import { Global, Module } from '@nestjs/common';
import { crashPoint, FeedwerkMetrics } from '@feedwerk/platform';
import { DataSource } from 'typeorm';
import { type AppendTiming, EventStore } from './event-store';

/**
 * The event store on the app's database, its append timings in the platform's metrics. Global, so
 * every module of an app injects EventStore; imported by several apps of one process, it is still one.
 */
@Global()
@Module({
  providers: [
    {
      provide: EventStore,
      // The append path's crash points (fault harness) are no-ops unless CRASH_AT names them.
      useFactory: (db: DataSource, metrics: FeedwerkMetrics) => {
        const store = new EventStore(db, {
          inTransaction: () => crashPoint('api.inAppendTx'),
          committed: () => crashPoint('api.afterAppend'),
        });
        store.appended.on('timed', (timing: AppendTiming) =>
          metrics.appendDuration.observe({ outcome: timing.outcome }, timing.seconds),
        );
        return store;
      },
      inject: [DataSource, FeedwerkMetrics],
    },
  ],
  exports: [EventStore],
})
export class EventStoreModule {}
