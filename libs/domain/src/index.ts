export * from './shared/decider';
export * from './shared/errors';
export * from './shared/problems';
export * from './employer/employer.decider';
export * from './job/job.decider';
export * from './candidate/candidate.decider';
export * from './job/import-jobs';
export * from './blog/blog-post.decider';
