import { z } from 'zod';
import { defineEvent } from '../define-event';
import { slug } from '../text';

/** At most this many listings are refreshed by one command (and carried by one event). */
export const MAX_REFRESH_JOBS = 500;

/**
 * An employer bumped up to 500 of its open listings at once ("Stellenanzeigen wurden
 * aktualisiert", one item with the count). Recorded on the employer's stream: one command, one
 * event, however many jobs. `portals` splits the count by portal for the per-portal boxes.
 */
export const JobsRefreshed = defineEvent({
  type: 'JobsRefreshed',
  version: 1,
  category: 'jobs',
  description: 'An employer refreshed a batch of its open job ads (one event for the whole batch).',
  schema: z
    .strictObject({
      refreshId: z.uuid(),
      employerId: z.uuid(),
      jobIds: z
        .array(z.uuid())
        .min(1)
        .max(MAX_REFRESH_JOBS)
        .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat a job id' }),
      count: z.number().int().min(1).max(MAX_REFRESH_JOBS),
      portals: z
        .array(z.strictObject({ portal: slug, count: z.number().int().min(1).max(MAX_REFRESH_JOBS) }))
        .min(1),
    })
    .refine((event) => event.count === event.jobIds.length, {
      message: 'count must equal the number of job ids',
      path: ['count'],
    })
    .refine((event) => event.portals.reduce((sum, p) => sum + p.count, 0) === event.count, {
      message: 'the per-portal counts must add up to count',
      path: ['portals'],
    }),
});
