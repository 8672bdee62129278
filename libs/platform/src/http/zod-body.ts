import { type z } from 'zod';
import { ProblemException, zodProblem } from './problem';

/** Validates a request body against a zod schema; a failure is a 400 problem listing every field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemException({
      title: 'Bad Request',
      status: 400,
      detail: 'the request body must be a JSON object',
    });
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new ProblemException(zodProblem(result.error));
  return result.data;
}
