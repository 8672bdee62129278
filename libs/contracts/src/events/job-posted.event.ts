import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Postcode, Region } from '../germany';
import { safeText, slug } from '../text';

export const EMPLOYMENT_TYPES = [
  'full-time',
  'part-time',
  'mini-job',
  'internship',
  'apprenticeship',
  'working-student',
  'freelance',
  'temporary',
] as const;
export const EmploymentType = z.enum(EMPLOYMENT_TYPES, {
  message: `must be one of ${EMPLOYMENT_TYPES.join(', ')}`,
});

export const JobLocation = z.strictObject({
  city: safeText(2, 100),
  region: Region,
  postcode: Postcode,
});

export const SALARY_PERIODS = ['hour', 'month', 'year'] as const;

/**
 * A gross salary range in whole euros. Bounded well below 2^53 so that JSON numbers stay exact in
 * every consumer's language; `1e309`, negatives and fractions are rejected.
 */
export const SalaryRange = z
  .strictObject({
    min: z.number().int().min(0).max(10_000_000),
    max: z.number().int().min(0).max(10_000_000),
    currency: z.literal('EUR'),
    period: z.enum(SALARY_PERIODS),
  })
  .refine((range) => range.min <= range.max, { message: 'min must not exceed max', path: ['max'] });
export type SalaryRange = z.infer<typeof SalaryRange>;

/** Where a posting came from: an employer directly, or a partner feed ("Eine neue Jobanzeige"). */
export const JobSource = z.enum(['direct', 'import']);

/**
 * A job ad went live on a portal. Read by the activity projection ("Neue Stellenanzeige
 * eingestellt", or "Eine neue Jobanzeige" for imports), the jobs read model and analytics.
 */
export const JobPosted = defineEvent({
  type: 'JobPosted',
  category: 'jobs',
  description: 'A job ad went live on a portal.',
  version: 2,
  upcasters: {
    // v1 knew neither salary nor remote work: a v1 job stated no salary and was on site.
    1: (v1) => ({ ...v1, salary: null, remote: false }),
  },
  schema: z.strictObject({
    jobId: z.uuid(),
    employerId: z.uuid(),
    title: safeText(3, 200),
    description: safeText(10, 20_000, { multiline: true }),
    location: JobLocation,
    category: slug,
    employmentType: EmploymentType,
    portal: slug,
    source: JobSource,
    /** Since v2. */
    salary: SalaryRange.nullable(),
    /** Since v2: the job can be done remotely. */
    remote: z.boolean(),
  }),
});
