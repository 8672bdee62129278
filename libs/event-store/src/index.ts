export * from './entities';
export * from './errors';
export * from './event-store';
export { EventStore1764230400000 } from './migrations/1764230400000-event-store';
export { HistoryIndexes1764232500000 } from './migrations/1764232500000-history-indexes';
export * from './event-store.module';
export * from './problems';
export * from './schema';
