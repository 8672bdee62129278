import { type JobCommand, requireOwnJob } from '@feedwerk/domain';
import { type EventStore } from '@feedwerk/event-store';
import { jobs } from '../shared/aggregates';
import { type CommandContext } from '../shared/command-context';
import { DeciderCommandHandler, type HandleOptions } from '../shared/decider-command-handler';
import { requireVersion } from '../shared/if-match';
import { type JobVersionResult } from '../shared/parse';

const handle = DeciderCommandHandler(jobs);

/** A command by an employer on one of their jobs, with the version they read (If-Match) if they sent it. */
export interface OwnJobRequest {
  readonly employerId: string;
  readonly jobId: string;
  readonly ifMatch: number | null;
  readonly context: CommandContext;
}

/**
 * Changes one of the employer's own jobs and answers its new version. Who may see the job's version
 * is checked first (a stranger learns nothing from a 412), then If-Match, then the decider's rules.
 */
export function changeOwnJob(
  store: EventStore,
  { employerId, jobId, ifMatch, context }: OwnJobRequest,
  command: JobCommand,
  onConflict?: HandleOptions<unknown, JobVersionResult>['onConflict'],
): Promise<JobVersionResult> {
  return handle(
    store,
    jobId,
    ({ state, version }) => {
      requireOwnJob(state, jobId, employerId);
      if (ifMatch !== null) requireVersion(ifMatch, version);
      return command;
    },
    { context, onConflict, respond: ({ version }) => ({ jobId, version }) },
  );
}
