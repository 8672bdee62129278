import { Body, Controller, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { ApiKeyGuard, type AuthenticatedRequest, employerOf } from '../../shared/api-key.guard';
import { commandContext } from '../../shared/command-context';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import { RefreshJobsBody, RefreshJobsCommand, type RefreshJobsResult } from './refresh-jobs.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('jobs')
@UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand)
export class RefreshJobsController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/refresh `{ jobIds }` → 200 `{ refreshId, count, jobIds }` (one JobsRefreshed). */
  @Post('refresh')
  @HttpCode(200)
  async refresh(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<RefreshJobsResult> {
    const employerId = employerOf(request);
    const input = parseBody(RefreshJobsBody, body);
    const context = commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: request.id,
      route: 'POST /jobs/refresh',
      body,
      idempotencyKey,
    });
    return this.commands.execute(new RefreshJobsCommand(employerId, input, context));
  }
}
