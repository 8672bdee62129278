import { Body, Controller, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { ApiKeyGuard, type AuthenticatedRequest } from '../../shared/api-key.guard';
import { commandContext } from '../../shared/command-context';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import { PostJobBody, PostJobCommand, type PostJobResult } from './post-job.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('jobs')
@UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand)
export class PostJobController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs (Authorization: Bearer <apiKey>) → 201 `{ jobId, version }`. */
  @Post()
  @HttpCode(201)
  async post(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<PostJobResult> {
    const employerId = request.employerId;
    if (!employerId) throw new Error('ApiKeyGuard did not run');
    const input = parseBody(PostJobBody, body);
    const context = commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: request.id,
      route: 'POST /jobs',
      body,
      idempotencyKey,
    });
    return this.commands.execute(new PostJobCommand(employerId, input, context));
  }
}
