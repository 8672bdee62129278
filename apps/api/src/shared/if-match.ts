import { badField, ProblemException } from '@feedwerk/platform';

/** Thrown when If-Match names another version than the stream's current one. */
export const staleVersion = (given: number, current: number) =>
  new ProblemException({
    title: 'Precondition Failed',
    status: 412,
    detail: `If-Match names version ${given}, but the job is at version ${current}; reload it and retry`,
    code: 'stale-version',
  });

/** The If-Match precondition: the caller decided on the version the stream is at now. */
export function requireVersion(ifMatch: number, current: number): void {
  if (ifMatch !== current) throw staleVersion(ifMatch, current);
}

/**
 * `If-Match: "3"` (a strong ETag, as our answers send it) or a bare `3`. Missing → 428 when the
 * route requires it; anything else that is not one version → 400.
 */
export function parseIfMatch(header: string | string[] | undefined, required: boolean): number | null {
  if (header === undefined) {
    if (!required) return null;
    throw new ProblemException({
      title: 'Precondition Required',
      status: 428,
      detail: 'send If-Match with the version of your last read (the ETag or "version" of the job)',
      code: 'if-match-required',
    });
  }
  const match = typeof header === 'string' ? /^\s*"?([1-9]\d{0,8})"?\s*$/.exec(header) : null;
  if (!match?.[1]) {
    throw badField(
      'If-Match must be one version, e.g. "3"',
      'If-Match',
      'must be one version, e.g. "3"',
      'invalid-if-match',
    );
  }
  return Number(match[1]);
}

export const etagOf = (version: number) => `"${version}"`;
