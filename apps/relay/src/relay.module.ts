import { Module } from '@nestjs/common';
import { EventStoreModule } from '@feedwerk/event-store';
import { provideDatabaseSchema } from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { readModelSchema } from '@feedwerk/read-models';
import { TransportModule } from '@feedwerk/transport';
import { RelayService } from './relay.service';

/** Event store → transport (the transactional outbox's publisher). */
@Module({
  imports: [EventStoreModule, TransportModule],
  providers: [provideDatabaseSchema(privacySchema, readModelSchema), RelayService],
  exports: [RelayService],
})
export class RelayModule {}
