import { type Provider } from '@nestjs/common';

/**
 * What a lib says about one of its own errors over HTTP: the status, a detail for the client and a
 * stable code (the problem's type is `/problems/<code>`). Plain data, so a pure lib (the domain)
 * describes its errors without importing the HTTP shell.
 */
export interface ProblemDescription {
  readonly status: number;
  readonly detail: string;
  readonly code?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Describes the errors a lib owns, and returns undefined for any other. */
export type ProblemMapping = (error: unknown) => ProblemDescription | undefined;

/** Modules provide this token (see provideProblemMappings); the problem filter asks every mapping in turn. */
export const PROBLEM_MAPPINGS = Symbol('ProblemMappings');

/** What an app module lists in its providers: the libs whose errors its routes answer as problems. */
export const provideProblemMappings = (...mappings: readonly ProblemMapping[]): Provider => ({
  provide: PROBLEM_MAPPINGS,
  useValue: mappings,
});
