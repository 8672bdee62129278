export * from './entities';
export * from './errors';
export type {
  AppendHooks,
  AppendManyRequest,
  AppendOutcome,
  AppendRequest,
  NewEventWithVersion,
  StreamAppend,
} from './append';
export type { Bounds, EventRange, RangeOrder } from './event-range';
export type { IdempotencyKey } from './idempotency-keys';
export * from './event-store';
export {
  envelopeOfRow,
  type EventMetadata,
  type EventTableRow,
  START,
  type StoreCheckpoint,
  type StoredEvent,
} from './stored-event';
export { EventStore1764230400000 } from './migrations/1764230400000-event-store';
export { HistoryIndexes1764232500000 } from './migrations/1764232500000-history-indexes';
export * from './event-store.module';
export * from './problems';
export * from './schema';
