import { Module } from '@nestjs/common';
import { RelayService } from './relay.service';

/** Event store → transport (the transactional outbox's publisher). */
@Module({ providers: [RelayService], exports: [RelayService] })
export class RelayModule {}
