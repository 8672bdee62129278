export * from './activity/activity.fold';
export * from './activity/activity.projection';
export { Activity1764230500000 } from './migrations/1764230500000-activity';
export { ActivityV21764231400000 } from './migrations/1764231400000-activity-v2';
