import { Module } from '@nestjs/common';
import { EventStoreModule, eventStoreSchema } from '@feedwerk/event-store';
import { platformSchema, provideDatabaseSchema } from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { readModelSchema } from '@feedwerk/read-models';
import { TransportModule, transportSchema } from '@feedwerk/transport';
import { RelayService } from './relay.service';

/** Event store → transport (the transactional outbox's publisher). */
@Module({
  imports: [EventStoreModule, TransportModule],
  providers: [
    // Every app migrates the whole shared schema, so whichever starts first leaves no table missing.
    provideDatabaseSchema(eventStoreSchema, privacySchema, readModelSchema, platformSchema, transportSchema),
    RelayService,
  ],
  exports: [RelayService],
})
export class RelayModule {}
