import { Body, Controller, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { ApiKeyGuard, type AuthenticatedRequest, employerOf } from '../../shared/api-key.guard';
import { commandContext } from '../../shared/command-context';
import { etagOf, parseIfMatch } from '../../shared/if-match';
import { JobIdParams, type JobVersionResult, parseRequestPart } from '../../shared/parse';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import { CloseJobBody, CloseJobCommand } from './close-job.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('jobs')
@UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand)
export class CloseJobController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/:jobId/close `{ reason }` (If-Match optional) → 200 `{ jobId, version }`. */
  @Post(':jobId/close')
  @HttpCode(200)
  async close(
    @Param() params: unknown,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('if-match') ifMatchHeader: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<JobVersionResult> {
    const employerId = employerOf(request);
    const { jobId } = parseRequestPart(JobIdParams, params, 'path');
    const ifMatch = parseIfMatch(ifMatchHeader, false);
    const input = parseBody(CloseJobBody, body);
    const context = commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: request.id,
      route: `POST /jobs/${jobId}/close If-Match ${ifMatch ?? '-'}`,
      body,
      idempotencyKey,
    });
    const result = await this.commands.execute(
      new CloseJobCommand(employerId, jobId, input, ifMatch, context),
    );
    void reply.header('etag', etagOf(result.version));
    return result;
  }
}
