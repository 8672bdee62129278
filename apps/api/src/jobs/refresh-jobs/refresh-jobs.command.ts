import { Command } from '@nestjs/cqrs';
import { MAX_REFRESH_JOBS } from '@feedwerk/contracts';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

/** Up to 500 ids (repeats allowed and refreshed once). */
export const RefreshJobsBody = z.strictObject({
  jobIds: z
    .array(z.uuid({ message: 'must be a job id (UUID)' }))
    .min(1)
    .max(MAX_REFRESH_JOBS, { message: `at most ${MAX_REFRESH_JOBS} job ids per refresh` }),
});
export type RefreshJobsBody = z.output<typeof RefreshJobsBody>;

export const RefreshJobsResult = z.strictObject({
  refreshId: z.uuid(),
  count: z.number().int(),
  jobIds: z.array(z.uuid()),
});
export type RefreshJobsResult = z.infer<typeof RefreshJobsResult>;

export class RefreshJobsCommand extends Command<RefreshJobsResult> {
  constructor(
    readonly employerId: string,
    readonly input: RefreshJobsBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
