import { Module } from '@nestjs/common';
import { ActivityFeed } from '@feedwerk/read-models';
import { DataSource } from 'typeorm';
import { TickerGateway } from './ticker.gateway';
import { TickerHub } from './ticker.hub';
import { WidgetController } from './widget.controller';

/** Ticker items topic → socket.io clients; history and resume from the activity read model. */
@Module({
  controllers: [WidgetController],
  providers: [
    { provide: ActivityFeed, useFactory: (db: DataSource) => new ActivityFeed(db), inject: [DataSource] },
    TickerHub,
    TickerGateway,
  ],
  exports: [TickerHub],
})
export class TickerModule {}
