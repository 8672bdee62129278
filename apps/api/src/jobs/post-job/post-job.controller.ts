import { HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { type AuthenticatedRequest } from '../../shared/api-key.guard';
import { EmployerCommandController, employerCommand } from '../../shared/command-controller';
import { PostJobBody, PostJobCommand, type PostJobResult } from './post-job.command';

@EmployerCommandController('jobs')
export class PostJobController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs (Authorization: Bearer <apiKey>) → 201 `{ jobId, version }`. */
  @Post()
  @HttpCode(201)
  post(@Req() request: AuthenticatedRequest): Promise<PostJobResult> {
    const input = parseBody(PostJobBody, request.body);
    const { employerId, context } = employerCommand(request, 'POST /jobs');
    return this.commands.execute(new PostJobCommand(employerId, input, context));
  }
}
