import { HttpCode, Patch, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody, parseRequestPart } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { type AuthenticatedRequest } from '../../shared/api-key.guard';
import { EmployerCommandController, employerCommand, withEtag } from '../../shared/command-controller';
import { parseIfMatch } from '../../shared/if-match';
import { JobIdParams, type JobVersionResult } from '../../shared/parse';
import { UpdateJobBody, UpdateJobCommand } from './update-job.command';

@EmployerCommandController('jobs')
export class UpdateJobController {
  constructor(private readonly commands: CommandBus) {}

  /** PATCH /jobs/:jobId with If-Match: "<version>" → 200 `{ jobId, version }` (+ ETag). */
  @Patch(':jobId')
  @HttpCode(200)
  async update(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobVersionResult> {
    const { jobId } = parseRequestPart(JobIdParams, request.params, 'path');
    const ifMatch = parseIfMatch(request.headers['if-match'], true)!;
    const changes = parseBody(UpdateJobBody, request.body);
    const { employerId, context } = employerCommand(request, `PATCH /jobs/${jobId} If-Match ${ifMatch}`);
    return withEtag(
      reply,
      await this.commands.execute(new UpdateJobCommand(employerId, jobId, changes, ifMatch, context)),
    );
  }
}
