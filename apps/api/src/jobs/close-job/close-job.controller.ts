import { HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody, parseRequestPart } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { type AuthenticatedRequest } from '../../shared/api-key.guard';
import { EmployerCommandController, employerCommand, withEtag } from '../../shared/command-controller';
import { parseIfMatch } from '../../shared/if-match';
import { JobIdParams, type JobVersionResult } from '../../shared/parse';
import { CloseJobBody, CloseJobCommand } from './close-job.command';

@EmployerCommandController('jobs')
export class CloseJobController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/:jobId/close `{ reason }` (If-Match optional) → 200 `{ jobId, version }`. */
  @Post(':jobId/close')
  @HttpCode(200)
  async close(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobVersionResult> {
    const { jobId } = parseRequestPart(JobIdParams, request.params, 'path');
    const ifMatch = parseIfMatch(request.headers['if-match'], false);
    const input = parseBody(CloseJobBody, request.body);
    const { employerId, context } = employerCommand(
      request,
      `POST /jobs/${jobId}/close If-Match ${ifMatch ?? '-'}`,
    );
    return withEtag(
      reply,
      await this.commands.execute(new CloseJobCommand(employerId, jobId, input, ifMatch, context)),
    );
  }
}
