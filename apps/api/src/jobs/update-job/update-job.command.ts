import { Command } from '@nestjs/cqrs';
import { JobChanges } from '@feedwerk/contracts';
import { type CommandContext } from '../../shared/command-context';
import { type JobVersionResult } from '../../shared/parse';

/** The HTTP body: the fields to change (at least one); portal and employer never change. */
export const UpdateJobBody = JobChanges;

export class UpdateJobCommand extends Command<JobVersionResult> {
  constructor(
    readonly employerId: string,
    readonly jobId: string,
    readonly changes: JobChanges,
    readonly ifMatch: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}
