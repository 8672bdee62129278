import { Global, Module } from '@nestjs/common';
import {
  crashPoint,
  FeedwerkMetrics,
  provideDatabaseSchema,
  provideProblemMappings,
  STORE_PROBE,
  type StoreProbe,
} from '@feedwerk/platform';
import { DataSource } from 'typeorm';
import { type AppendTiming, EventStore } from './event-store';
import { eventStoreProblems } from './problems';
import { eventStoreSchema } from './schema';

/**
 * The event store on the app's database, its append timings in the platform's metrics; an app that
 * imports this module migrates the store's tables and answers its errors as problems. Global, so
 * every module of an app injects EventStore; imported by several apps of one process, it is still one.
 */
@Global()
@Module({
  providers: [
    provideDatabaseSchema(eventStoreSchema),
    provideProblemMappings(eventStoreProblems),
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
    // The shell's metrics read the store's head and the relay's checkpoint through this port.
    { provide: STORE_PROBE, useFactory: (store: EventStore): StoreProbe => store, inject: [EventStore] },
  ],
  exports: [EventStore, STORE_PROBE],
})
export class EventStoreModule {}
