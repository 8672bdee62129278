import { HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RouteConfig } from '@nestjs/platform-fastify';
import { parseBody } from '@feedwerk/platform';
import { type AuthenticatedRequest } from '../../shared/api-key.guard';
import { EmployerCommandController, employerCommand } from '../../shared/command-controller';
import {
  IMPORT_BODY_LIMIT,
  ImportJobsBody,
  ImportJobsCommand,
  type ImportJobsResult,
} from './import-jobs.command';

@EmployerCommandController('jobs')
export class ImportJobsController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /jobs/import `{ jobs: [...] }` (≤ 500) → 201 `{ count, jobs: [{ jobId, version }] }`, source=import. */
  @Post('import')
  @HttpCode(201)
  @RouteConfig({ bodyLimit: IMPORT_BODY_LIMIT })
  import(@Req() request: AuthenticatedRequest): Promise<ImportJobsResult> {
    const input = parseBody(ImportJobsBody, request.body);
    const { employerId, context } = employerCommand(request, 'POST /jobs/import');
    return this.commands.execute(new ImportJobsCommand(employerId, input, context));
  }
}
