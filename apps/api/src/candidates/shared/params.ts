import { ProblemException, zodProblem } from '@feedwerk/platform';
import { type z } from 'zod';

/** Validates path parameters; a failure is a 400 naming each parameter. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params);
  if (!result.success) throw new ProblemException(zodProblem(result.error, 'path'));
  return result.data;
}
