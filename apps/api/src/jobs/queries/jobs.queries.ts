import {
  EMPLOYMENT_TYPES,
  JobCloseReason,
  JobLocation,
  JobSource,
  Region,
  SalaryRange,
  safeText,
  slug,
} from '@feedwerk/contracts';
import { z } from 'zod';

/** GET /jobs query: every filter optional, unknown parameters refused (strict). */
export const ListJobsQuery = z.strictObject({
  region: Region.optional(),
  category: slug.optional(),
  portal: slug.optional(),
  employer: z.uuid({ message: 'must be an employer id (UUID)' }).optional(),
  // The same text rules as stored text: no NUL or control characters ever reach a query.
  text: safeText(2, 100).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const JobViewSchema = z.strictObject({
  jobId: z.uuid(),
  employerId: z.uuid(),
  version: z.number().int(),
  title: z.string(),
  description: z.string(),
  location: JobLocation,
  category: z.string(),
  employmentType: z.enum(EMPLOYMENT_TYPES),
  portal: z.string(),
  source: JobSource,
  salary: SalaryRange.nullable(),
  remote: z.boolean(),
  status: z.enum(['open', 'closed']),
  closeReason: JobCloseReason.nullable(),
  postedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  refreshedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
});

export const JobPage = z.strictObject({
  items: z.array(JobViewSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});
