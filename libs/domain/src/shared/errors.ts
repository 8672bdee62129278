/**
 * Business rule violations. The HTTP shell maps `kind` to a status (conflict → 409,
 * forbidden → 403, not-found → 404, precondition → 412, unprocessable → 422); the domain knows
 * nothing of HTTP.
 */
export type DomainErrorKind = 'conflict' | 'forbidden' | 'not-found' | 'precondition' | 'unprocessable';

export abstract class DomainError extends Error {
  protected constructor(
    readonly kind: DomainErrorKind,
    /** A stable machine-readable code, e.g. `job.already-posted`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
