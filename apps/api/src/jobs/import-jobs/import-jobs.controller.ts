import { Body, Controller, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiKeyGuard, type AuthenticatedRequest, employerOf } from '../../shared/api-key.guard';
import { commandContext } from '../../shared/command-context';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import {
  IMPORT_BODY_LIMIT,
  ImportJobsBody,
  ImportJobsCommand,
  type ImportJobsResult,
} from './import-jobs.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('jobs')
@UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand)
export class ImportJobsController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/import `{ jobs: [...] }` (≤ 500) → 201 `{ count, jobs: [{ jobId, version }] }`, source=import. */
  @Post('import')
  @HttpCode(201)
  @RouteConfig({ bodyLimit: IMPORT_BODY_LIMIT })
  async import(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<ImportJobsResult> {
    const employerId = employerOf(request);
    const input = parseBody(ImportJobsBody, body);
    const context = commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: request.id,
      route: 'POST /jobs/import',
      body,
      idempotencyKey,
    });
    return this.commands.execute(new ImportJobsCommand(employerId, input, context));
  }
}
