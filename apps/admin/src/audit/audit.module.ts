import { Global, Module } from '@nestjs/common';
import { AdminAudit } from './admin-audit';

@Global()
@Module({ providers: [AdminAudit], exports: [AdminAudit] })
export class AuditModule {}
