import { Module } from '@nestjs/common';
import { domainProblems } from '@feedwerk/domain';
import { EventStoreModule } from '@feedwerk/event-store';
import { AdminGuard, provideDatabaseSchema, provideProblemMappings } from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { readModelSchema } from '@feedwerk/read-models';
import { TransportModule } from '@feedwerk/transport';
import { AuditModule } from './audit/audit.module';
import { DeadLetterModule } from './dead-letters/dead-letters.module';
import { HistoryModule } from './history/history.module';
import { adminSchema } from './migrations';
import { OpsController } from './ops/ops.controller';
import { RebuildModule } from './rebuild/rebuild.module';
import { RepublishModule } from './republish/republish.module';

/**
 * Admins: browse and export the event history, travel in time, rebuild projections blue/green,
 * republish history for analytics backfill, list and replay dead letters. Every route needs the admin credential; every action
 * is recorded as an event (AdminAudit). Runs as its own app (`apps/admin`), or inside the
 * standalone process.
 */
@Module({
  imports: [
    EventStoreModule,
    TransportModule,
    AuditModule,
    HistoryModule,
    RebuildModule,
    RepublishModule,
    DeadLetterModule,
  ],
  controllers: [OpsController],
  providers: [
    provideDatabaseSchema(privacySchema, readModelSchema, adminSchema),
    provideProblemMappings(domainProblems),
    AdminGuard,
  ],
  exports: [AdminGuard],
})
export class AdminModule {}
