import { Module } from '@nestjs/common';
import { AdminPageController } from '../page/admin-page.controller';
import { HistoryController } from './history.controller';
import { HistoryReader } from './history.reader';
import { HistoryService } from './history.service';

/**
 * The history browser (events, streams, state at a version or time, the box at a time) and the
 * admin page, which serves every admin feature (history, rebuilds, republishes) from one shell.
 */
@Module({
  controllers: [HistoryController, AdminPageController],
  providers: [HistoryReader, HistoryService],
})
export class HistoryModule {}
