import { z } from 'zod';
import { defineEvent } from '../define-event';
import { slug } from '../text';

export const JOB_CLOSE_REASONS = ['filled', 'expired', 'withdrawn'] as const;
export const JobCloseReason = z.enum(JOB_CLOSE_REASONS, {
  message: `must be one of ${JOB_CLOSE_REASONS.join(', ')}`,
});

/**
 * A job ad was taken down. Final: a closed job accepts no further change. The activity projection
 * withdraws the job's "new job" item from the box.
 */
export const JobClosed = defineEvent({
  type: 'JobClosed',
  version: 1,
  category: 'jobs',
  description: 'A job ad was taken down; it accepts no further change.',
  schema: z.strictObject({
    jobId: z.uuid(),
    employerId: z.uuid(),
    portal: slug,
    reason: JobCloseReason,
  }),
});
