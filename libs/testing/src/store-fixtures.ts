import { randomUUID } from 'node:crypto';
import { type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore, START, type StoreCheckpoint, type StoredEvent } from '@feedwerk/event-store';
import { employerBody, jobBody } from './fixtures';
import { openTestDatabase } from './infra';

export const testMetadata = {
  correlationId: 'test-correlation',
  causationId: null,
  actor: { kind: 'system' as const, id: null },
  source: '/test',
};

async function appendOne(
  store: EventStore,
  streamId: string,
  type: string,
  data: unknown,
  expectedVersion: number | 'no_stream' = 'no_stream',
): Promise<StoredEvent> {
  const outcome = await store.append({
    streamId,
    expectedVersion,
    events: [{ type, schemaVersion: 1, data }],
    metadata: testMetadata,
    now: new Date(),
    respond: () => null,
  });
  if (outcome.kind !== 'appended') throw new Error('expected an append, got a replay');
  return outcome.events[0]!;
}

/** Appends a real, valid JobPosted for a new job (fields overridable) and returns it as stored. */
export const appendJobPosted = (
  store: EventStore,
  overrides: Record<string, unknown> = {},
): Promise<StoredEvent> => {
  const jobId = randomUUID();
  return appendOne(store, StreamIds.job(jobId), 'JobPosted', {
    employerId: randomUUID(),
    source: 'direct',
    ...jobBody(overrides),
    jobId,
  });
};

/** Closes a job posted by `appendJobPosted` (its version 2: JobClosed, reason filled), returned as stored. */
export const appendJobClosed = (store: EventStore, posted: StoredEvent | FeedEvent): Promise<StoredEvent> => {
  const event = toFeedEvent(posted);
  if (event.type !== 'JobPosted') throw new Error(`expected a posting, got ${event.type}`);
  const { jobId, employerId, portal } = event.data;
  return appendOne(store, event.streamId, 'JobClosed', { jobId, employerId, portal, reason: 'filled' }, 1);
};

/** Appends a real, valid EmployerRegistered for a new employer and returns it as stored. */
export const appendEmployerRegistered = (store: EventStore): Promise<StoredEvent> => {
  const employerId = randomUUID();
  return appendOne(store, StreamIds.employer(employerId), 'EmployerRegistered', {
    ...employerBody(),
    employerId,
  });
};

/** Appends `n` real, valid JobPosted events (each a new job) in one transaction: many feed changes quickly. */
export async function appendManyJobsPosted(
  store: EventStore,
  n: number,
  overrides: Record<string, unknown> = {},
): Promise<readonly StoredEvent[]> {
  const streams = Array.from({ length: n }, () => {
    const jobId = randomUUID();
    return {
      streamId: StreamIds.job(jobId),
      expectedVersion: 'no_stream' as const,
      events: [
        {
          type: 'JobPosted',
          schemaVersion: 1,
          data: { employerId: randomUUID(), source: 'direct', ...jobBody(overrides), jobId },
        },
      ],
    };
  });
  const outcome = await store.appendMany({
    streams,
    metadata: testMetadata,
    now: new Date(),
    respond: () => null,
  });
  if (outcome.kind !== 'appended') throw new Error('expected an append, got a replay');
  return outcome.events;
}

/**
 * Reads the store as the relay does: each call returns, in commit order, what became readable since
 * the previous call (from the start on the first).
 */
export function storeReader(store: EventStore): () => Promise<StoredEvent[]> {
  let checkpoint: StoreCheckpoint = START;
  return async () => {
    const events: StoredEvent[] = [];
    let batch = await store.readAll(checkpoint, 1_000);
    while (batch.length > 0) {
      events.push(...batch);
      const last = batch.at(-1)!;
      checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
      batch = await store.readAll(checkpoint, 1_000);
    }
    return events;
  };
}

/** Every stored event in commit order, upcast and validated: the input of a from-scratch fold. */
export async function storeHistory(store: EventStore): Promise<FeedEvent[]> {
  return (await storeReader(store)()).map(toFeedEvent);
}

/** A test database of its own (see openTestDatabase). */
export type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

/** A fresh migrated database and an event store on it; `db.close()` drops the database. */
export async function openTestStore(
  settings?: Readonly<Record<string, string>>,
): Promise<{ db: TestDatabase; store: EventStore }> {
  const db = await openTestDatabase(settings);
  return { db, store: new EventStore(db.dataSource) };
}
