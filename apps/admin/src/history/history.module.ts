import { Module } from '@nestjs/common';

/** Filled in by its feature (issue 5). */
@Module({})
export class HistoryModule {}
