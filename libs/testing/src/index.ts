export * from './decider-spec';
export * from './infra';
export * from './fixtures';
