import { Controller, Get, type OnModuleInit, UseGuards } from '@nestjs/common';
import { AdminRoutes, type AdminOpsView } from '@feedwerk/contracts';
import { AdminGuard, OpsMonitor } from '@feedwerk/platform';

/**
 * The numbers behind the admin page's health charts: the samples the app's OpsMonitor takes off
 * the request path (events/s from the store's head, the relay's lag, every live consumer group's
 * lag), so polling the page costs no Kafka or database round trip.
 */
@Controller()
@UseGuards(AdminGuard)
export class OpsController implements OnModuleInit {
  constructor(private readonly monitor: OpsMonitor) {}

  onModuleInit(): void {
    this.monitor.watchDeployment();
  }

  @Get(AdminRoutes.metrics)
  metrics(): AdminOpsView {
    return { samples: this.monitor.history() };
  }
}
