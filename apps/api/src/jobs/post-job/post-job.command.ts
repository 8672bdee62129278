import { Command } from '@nestjs/cqrs';
import { JobPosted, SalaryRange } from '@feedwerk/contracts';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

/**
 * The HTTP body: the event's schema minus what the server decides (ids, source). Salary and
 * remote work are optional to state.
 */
export const PostJobBody = JobPosted.schema
  .omit({ jobId: true, employerId: true, source: true })
  .extend({ salary: SalaryRange.nullable().default(null), remote: z.boolean().default(false) });
export type PostJobBody = z.output<typeof PostJobBody>;

export interface PostJobResult {
  readonly jobId: string;
  /** The job stream's version after the post: what `If-Match` sends with the next update. */
  readonly version: number;
}

export class PostJobCommand extends Command<PostJobResult> {
  constructor(
    readonly employerId: string,
    readonly input: PostJobBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
