import { Module } from '@nestjs/common';
import { AdminGuard } from '@feedwerk/platform';
import { RepublishController } from './republish.controller';
import { RepublishService } from './republish.service';

/** Republishing history to the replay topics for analytics backfill (issue 5). */
@Module({
  controllers: [RepublishController],
  providers: [RepublishService, AdminGuard],
  exports: [RepublishService],
})
export class RepublishModule {}
