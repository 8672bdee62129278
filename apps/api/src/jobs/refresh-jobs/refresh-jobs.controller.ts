import { HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { type AuthenticatedRequest } from '../../shared/api-key.guard';
import { EmployerCommandController, employerCommand } from '../../shared/command-controller';
import { RefreshJobsBody, RefreshJobsCommand, type RefreshJobsResult } from './refresh-jobs.command';

@EmployerCommandController('jobs')
export class RefreshJobsController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/refresh `{ jobIds }` → 200 `{ refreshId, count, jobIds }` (one JobsRefreshed). */
  @Post('refresh')
  @HttpCode(200)
  refresh(@Req() request: AuthenticatedRequest): Promise<RefreshJobsResult> {
    const input = parseBody(RefreshJobsBody, request.body);
    const { employerId, context } = employerCommand(request, 'POST /jobs/refresh');
    return this.commands.execute(new RefreshJobsCommand(employerId, input, context));
  }
}
