export * from './activity/activity.fold';
export * from './activity/activity.projection';
export * from './jobs/jobs.projection';
export * from './jobs/jobs.queries';
export { Activity1764230500000 } from './migrations/1764230500000-activity';
export { Jobs1764231000000 } from './migrations/1764231000000-jobs';
export { ActivityV21764231400000 } from './migrations/1764231400000-activity-v2';
