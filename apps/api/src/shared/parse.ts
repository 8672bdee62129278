import { ProblemException, zodProblem } from '@feedwerk/platform';
import { z } from 'zod';

/** Validates path parameters or a query string; a failure is a 400 problem naming each field. */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'path' | 'query',
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ProblemException(zodProblem(result.error, where));
  return result.data;
}

export const JobIdParams = z.strictObject({ jobId: z.uuid({ message: 'must be a job id (UUID)' }) });

/** The answer of every command that changes one job: what `If-Match` sends next. */
export const JobVersionResult = z.strictObject({ jobId: z.uuid(), version: z.number().int().min(1) });
export type JobVersionResult = z.infer<typeof JobVersionResult>;

export const IdempotencyKeyHeader = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/)
  .optional()
  .describe('Makes a retry return the first answer and append nothing (same key + other body: 422).');
