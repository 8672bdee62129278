import { z } from 'zod';

export const JobIdParams = z.strictObject({ jobId: z.uuid({ message: 'must be a job id (UUID)' }) });

/** The answer of every command that changes one job: what `If-Match` sends next. */
export const JobVersionResult = z.strictObject({ jobId: z.uuid(), version: z.number().int().min(1) });
export type JobVersionResult = z.infer<typeof JobVersionResult>;

export const IdempotencyKeyHeader = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/)
  .optional()
  .describe('Makes a retry return the first answer and append nothing (same key + other body: 422).');
