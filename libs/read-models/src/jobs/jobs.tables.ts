import { checkpointKey, generationSuffix } from '../generations/generations';

/** The jobs/employers projection's schema version. */
export const JOBS_VERSION = 'jobs@1';

export interface JobsTables {
  readonly name: string;
  readonly jobs: string;
  readonly employers: string;
}

export function jobsTables(generation: number): JobsTables {
  const s = generationSuffix(generation);
  return {
    name: checkpointKey(JOBS_VERSION, generation),
    jobs: `rm_jobs_v1${s}`,
    employers: `rm_employers_v1${s}`,
  };
}

/** Generation 1 of the jobs/employers projection (rebuilds add `jobsTables(n)`; writers and readers resolve the live one). */
export const JOBS = jobsTables(1);
