import { Module } from '@nestjs/common';
import { eventStoreSchema } from '@feedwerk/event-store';
import { provideDatabaseSchema } from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { ActivityFeed, readModelSchema } from '@feedwerk/read-models';
import { TransportModule } from '@feedwerk/transport';
import { DataSource } from 'typeorm';
import { TickerAccess } from './ticker.access';
import { TickerGateway } from './ticker.gateway';
import { TickerHttpController } from './ticker.http.controller';
import { TickerHub } from './ticker.hub';
import { WidgetController } from './widget.controller';

/** Ticker changes topic → socket.io and SSE clients; snapshots and resume from the activity read model. */
@Module({
  imports: [TransportModule],
  controllers: [TickerHttpController, WidgetController],
  providers: [
    provideDatabaseSchema(eventStoreSchema, privacySchema, readModelSchema),
    { provide: ActivityFeed, useFactory: (db: DataSource) => new ActivityFeed(db), inject: [DataSource] },
    TickerAccess,
    TickerHub,
    TickerGateway,
  ],
  exports: [TickerHub, TickerGateway, TickerAccess],
})
export class TickerModule {}
