import { type ProblemMapping } from '@feedwerk/platform';
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError, WrongExpectedVersionError } from './errors';

/** The store's errors over HTTP: a stale expected version and a reused or in-flight idempotency key. */
export const eventStoreProblems: ProblemMapping = (error) => {
  if (error instanceof WrongExpectedVersionError) {
    return {
      status: 409,
      detail: `the resource changed meanwhile (now at version ${error.actual})`,
      code: 'version-conflict',
    };
  }
  if (error instanceof IdempotencyKeyInFlightError) {
    return {
      status: 409,
      detail: error.message,
      code: 'idempotency-key-in-flight',
      headers: { 'retry-after': '1' },
    };
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return { status: 422, detail: error.message, code: 'idempotency-key-reused' };
  }
  return undefined;
};
