import { type DatabaseSchema } from '@feedwerk/platform';
import { eventStoreEntities } from './entities';
import { EventStore1764230400000 } from './migrations/1764230400000-event-store';
import { HistoryIndexes1764232500000 } from './migrations/1764232500000-history-indexes';

/** The store's tables (events, idempotency keys, checkpoints) and the entities mapped to them. */
export const eventStoreSchema: DatabaseSchema = {
  migrations: [EventStore1764230400000, HistoryIndexes1764232500000],
  entities: eventStoreEntities,
};
