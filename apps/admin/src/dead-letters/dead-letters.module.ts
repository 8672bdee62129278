import { Module } from '@nestjs/common';
import { AdminGuard } from '@feedwerk/platform';
import { DeadLetterController } from './dead-letters.controller';
import { DeadLetterService } from './dead-letters.service';

/** Listing and replaying the consumers' dead letters (issue 7). */
@Module({
  controllers: [DeadLetterController],
  providers: [DeadLetterService, AdminGuard],
})
export class DeadLetterModule {}
