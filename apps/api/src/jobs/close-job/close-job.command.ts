import { Command } from '@nestjs/cqrs';
import { JobCloseReason } from '@feedwerk/contracts';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';
import { type JobVersionResult } from '../../shared/parse';

export const CloseJobBody = z.strictObject({ reason: JobCloseReason });
export type CloseJobBody = z.output<typeof CloseJobBody>;

export class CloseJobCommand extends Command<JobVersionResult> {
  constructor(
    readonly employerId: string,
    readonly jobId: string,
    readonly input: CloseJobBody,
    /** Optional for a close: when sent, a stale version is a 412 as for updates. */
    readonly ifMatch: number | null,
    readonly context: CommandContext,
  ) {
    super();
  }
}
