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

/** Where a posting came from: an employer directly, or a partner feed ("Eine neue Jobanzeige"). */
export const JobSource = z.enum(['direct', 'import']);

/**
 * A job ad went live on a portal. Read by the activity projection ("Neue Stellenanzeige
 * eingestellt", or "Eine neue Jobanzeige" for imports), the jobs read model and analytics.
 */
export const JobPosted = defineEvent({
  type: 'JobPosted',
  version: 1,
  category: 'jobs',
  description: 'A job ad went live on a portal.',
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
  }),
});
