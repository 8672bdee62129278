import { Module } from '@nestjs/common';
// The embedded default is the one composition root allowed to assemble the other apps.
import { AdminModule } from '../../admin/src/admin.module';
import { ApiModule } from '../../api/src/api.module';
import { ProjectorModule } from '../../projector/src/projector.module';
import { RelayModule } from '../../relay/src/relay.module';
import { TickerModule } from '../../ticker/src/ticker.module';
import { DemoController } from './demo.controller';

/**
 * Every app in one process: api, relay, projector, ticker and admin on one port, with the demo page.
 * Without DATABASE_URL and KAFKA_BROKERS it runs on PGlite and the in-process transport; with them,
 * on PostgreSQL and Kafka, exactly like the separately deployed apps.
 */
@Module({
  imports: [ApiModule, RelayModule, ProjectorModule, TickerModule, AdminModule],
  controllers: [DemoController],
})
export class StandaloneModule {}
