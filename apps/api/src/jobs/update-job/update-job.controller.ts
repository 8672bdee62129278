import { Body, Controller, Headers, HttpCode, Param, Patch, Req, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { ApiKeyGuard, type AuthenticatedRequest, employerOf } from '../../shared/api-key.guard';
import { commandContext } from '../../shared/command-context';
import { etagOf, parseIfMatch } from '../../shared/if-match';
import { JobIdParams, type JobVersionResult, parseRequestPart } from '../../shared/parse';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import { UpdateJobBody, UpdateJobCommand } from './update-job.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('jobs')
@UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand)
export class UpdateJobController {
  constructor(private readonly commands: CommandBus) {}

  /** PATCH /jobs/:jobId with If-Match: "<version>" → 200 `{ jobId, version }` (+ ETag). */
  @Patch(':jobId')
  @HttpCode(200)
  async update(
    @Param() params: unknown,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('if-match') ifMatchHeader: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<JobVersionResult> {
    const employerId = employerOf(request);
    const { jobId } = parseRequestPart(JobIdParams, params, 'path');
    const ifMatch = parseIfMatch(ifMatchHeader, true)!;
    const changes = parseBody(UpdateJobBody, body);
    const context = commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: request.id,
      route: `PATCH /jobs/${jobId} If-Match ${ifMatch}`,
      body,
      idempotencyKey,
    });
    const result = await this.commands.execute(
      new UpdateJobCommand(employerId, jobId, changes, ifMatch, context),
    );
    void reply.header('etag', etagOf(result.version));
    return result;
  }
}
