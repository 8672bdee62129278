import { Topics } from '@feedwerk/contracts';
import { type JobsProjection } from '@feedwerk/read-models';
import { type ProjectorDefinition } from './projector';

export const JOBS_GROUP = 'projector.jobs';

/**
 * The jobs and employers topics, in its own consumer group `projector.jobs` (independent of the
 * activity projection's progress), folded into the portal's jobs/employers read model.
 */
export const jobsProjector = (projection: JobsProjection): ProjectorDefinition<unknown> => ({
  group: JOBS_GROUP,
  topics: [Topics.events('jobs'), Topics.events('employers')],
  projection,
});
