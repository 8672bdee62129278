import { Command } from '@nestjs/cqrs';
import { MAX_IMPORT_JOBS } from '@feedwerk/domain';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';
import { PostJobBody } from '../post-job/post-job.command';

/** Bulk bodies may be larger than the 64 KiB of every other command: 500 jobs of about 4 KB. */
export const IMPORT_BODY_LIMIT = 2 * 1024 * 1024;

export const ImportJobsBody = z.strictObject({
  jobs: z
    .array(PostJobBody)
    .min(1)
    .max(MAX_IMPORT_JOBS, { message: `at most ${MAX_IMPORT_JOBS} jobs per import` }),
});
export type ImportJobsBody = z.output<typeof ImportJobsBody>;

export const ImportJobsResult = z.strictObject({
  count: z.number().int(),
  jobs: z.array(z.strictObject({ jobId: z.uuid(), version: z.number().int() })),
});
export type ImportJobsResult = z.infer<typeof ImportJobsResult>;

export class ImportJobsCommand extends Command<ImportJobsResult> {
  constructor(
    readonly employerId: string,
    readonly input: ImportJobsBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
