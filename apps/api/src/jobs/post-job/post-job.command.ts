import { Command } from '@nestjs/cqrs';
import { JobPosted } from '@feedwerk/contracts';
import { type z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

/** The HTTP body: the event's schema minus what the server decides (ids, source). */
export const PostJobBody = JobPosted.schema.omit({ jobId: true, employerId: true, source: true });
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
