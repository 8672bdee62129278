/** The stream is not at the version the command was decided on: decide again or report 409. */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** An Idempotency-Key was reused for a different request (HTTP 422). */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was already used for a different request`);
  }
}

/** A number is the stream's current version (0: empty); 'no_stream' is the same as 0. */
export type ExpectedVersion = number | 'no_stream' | 'any';

/** The first request with this Idempotency-Key is still being processed (HTTP 409; retry later). */
export class IdempotencyKeyInFlightError extends Error {
  constructor(readonly key: string) {
    super(`a request with Idempotency-Key "${key}" is still in progress; retry later`);
  }
}
