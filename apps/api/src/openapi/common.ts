import { z } from 'zod';
import { IdempotencyKeyHeader } from '../shared/parse';

/** Headers of every appending command. */
export const IdempotentHeaders = z.object({ 'Idempotency-Key': IdempotencyKeyHeader });

export const IfMatchHeader = z
  .string()
  .regex(/^"?[1-9]\d{0,8}"?$/)
  .describe('The version of your last read (its ETag or `version`), e.g. "3". Stale: 412.');

/** Answers every authenticated command can give besides its own. */
export const commonCommandErrors = {
  400: { description: 'Invalid body, path, query or header: problem+json with `errors[].path` and reason.' },
  401: { description: 'No or an invalid credential.' },
  413: { description: 'The body exceeds the size limit.' },
  415: { description: 'The body is not application/json.' },
  422: {
    description: 'The Idempotency-Key was used before with another body (or the command changes nothing).',
  },
  429: { description: 'Rate limit exceeded; see Retry-After.' },
} as const;

/** Answers of a read by id from a read model, besides the thing itself. */
export const readByIdErrors = (thing: string) => ({
  400: { description: 'The id is not a UUID.' },
  404: { description: `No such ${thing} (or not projected yet).` },
  429: commonCommandErrors[429],
});
