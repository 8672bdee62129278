import { DomainError, type DomainErrorKind } from './errors';

const STATUS_OF: Record<DomainErrorKind, number> = {
  conflict: 409,
  forbidden: 403,
  'not-found': 404,
  precondition: 412,
  unprocessable: 422,
};

/**
 * A refused command over HTTP: the status its kind stands for, its message and code. Plain data (the
 * platform's ProblemDescription, structurally), so the domain imports no HTTP shell.
 */
export const domainProblems = (
  error: unknown,
): { status: number; detail: string; code: string } | undefined =>
  error instanceof DomainError
    ? { status: STATUS_OF[error.kind], detail: error.message, code: error.code }
    : undefined;
