import { type RebuildableProjection } from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type DataSource } from 'typeorm';
import { ActivityProjection, type ActivityProjectionOptions } from '../activity/activity.projection';
import { ACTIVITY_VERSION } from '../activity/activity.tables';
import { JobsProjection } from '../jobs/jobs.projection';
import { JOBS_VERSION } from '../jobs/jobs.tables';
import { type Projections } from './projection';

/** The schema version of each projection: part of its checkpoint key and its tables' names. */
export const PROJECTION_VERSIONS: Readonly<Record<RebuildableProjection, string>> = {
  activity: ACTIVITY_VERSION,
  jobs: JOBS_VERSION,
};

/** Every read model of this lib, by name: what the admin app rebuilds. */
export function readModelProjections(
  db: DataSource,
  store: EventStore,
  options: Partial<ActivityProjectionOptions> = {},
): Required<Projections> {
  return {
    activity: new ActivityProjection(db, store, options),
    jobs: new JobsProjection(db, store),
  };
}
