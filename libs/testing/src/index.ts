export * from './decider-spec';
export * from './infra';
export * from './fixtures';
export * from './store-fixtures';
export * from './cv-fixtures';
export * from './ticker';
export * from './secure-kafka';
export * from './generations';
