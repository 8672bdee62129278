import { ProblemException } from '@feedwerk/platform';

/** What every read endpoint answers for an unknown id: 404 problem+json with a stable code. */
export const notFound = (detail: string, code: string) =>
  new ProblemException({ title: 'Not Found', status: 404, detail, code });
