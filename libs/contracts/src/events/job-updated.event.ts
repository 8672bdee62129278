import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Region } from '../germany';
import { safeText, slug } from '../text';
import { EmploymentType, JobLocation, SalaryRange } from './job-posted.event';

/** The fields of a job an employer may change; the portal and the employer never change. */
export const JobChanges = z
  .strictObject({
    title: safeText(3, 200),
    description: safeText(10, 20_000, { multiline: true }),
    location: JobLocation,
    category: slug,
    employmentType: EmploymentType,
    salary: SalaryRange.nullable(),
    remote: z.boolean(),
  })
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { message: 'must change at least one field' });
export type JobChanges = z.infer<typeof JobChanges>;

/**
 * An open job ad was edited ("Stellenanzeige wurde geupdatet"). `changes` holds only what changed;
 * `portal`, `region` and `category` are the job's values after the change, carried so that
 * consumers (ticker filters, analytics counts per region) need no state of their own.
 */
export const JobUpdated = defineEvent({
  type: 'JobUpdated',
  version: 1,
  category: 'jobs',
  description: 'An open job ad was edited.',
  schema: z.strictObject({
    jobId: z.uuid(),
    employerId: z.uuid(),
    portal: slug,
    region: Region,
    category: slug,
    changes: JobChanges,
  }),
});
