import { randomUUID } from 'node:crypto';
import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { EventStore, START, type StoreCheckpoint, type StoredEvent } from '@feedwerk/event-store';
import { type ActivityEvent, foldActivity, readActivityEvents } from '@feedwerk/read-models';
import { appendJobPosted, testMetadata, openTestStore, type TestDatabase } from '@feedwerk/testing';

const OPTIONS = { burstWindowMs: 60_000 };

describe('readActivityEvents: the rebuild reads only the fold fields', () => {
  let db: TestDatabase, store: EventStore;

  beforeAll(async () => ({ db, store } = await openTestStore()));
  afterAll(() => db.close());

  async function append(
    streamId: string,
    type: string,
    schemaVersion: number,
    data: unknown,
  ): Promise<StoredEvent> {
    const outcome = await store.append({
      streamId,
      expectedVersion: 'any',
      events: [{ type, schemaVersion, data }],
      metadata: testMetadata,
      now: new Date(),
      respond: () => null,
    });
    if (outcome.kind !== 'appended') throw new Error('expected an append');
    return outcome.events[0]!;
  }

  /** A current-version (v2) posting: the fast path. */
  const posting = (jobId: string, portal: string, source: 'direct' | 'import') => ({
    jobId,
    employerId: randomUUID(),
    title: 'Pflegefachkraft (m/w/d)',
    description: 'Wir suchen Verstärkung für unser Team in der Pflege.',
    location: { city: 'Berlin', region: 'Berlin', postcode: '10115' },
    category: 'pflege',
    employmentType: 'full-time',
    portal,
    source,
    salary: null,
    remote: true,
  });

  async function readAllFast(limit: number): Promise<{ events: ActivityEvent[]; count: number }> {
    const events: ActivityEvent[] = [];
    let count = 0;
    let from: StoreCheckpoint = START;
    for (;;) {
      const batch = await readActivityEvents(store, from, limit);
      events.push(...batch.events);
      count += batch.count;
      if (batch.count < limit) return { events, count };
      from = batch.end;
    }
  }

  /** The reference: every stored event decoded and validated in full, the undecodable ones left out. */
  async function readAllFull(): Promise<{ events: FeedEvent[]; count: number }> {
    const stored = await store.readAll(START, 10_000);
    const events: FeedEvent[] = [];
    for (const event of stored) {
      try {
        events.push(toFeedEvent(event));
      } catch {
        // skipped, as the live projector dead-letters it
      }
    }
    return { events, count: stored.length };
  }

  it('folds to the same feed as fully decoded events, upcasts old versions and skips what validation rejects', async () => {
    const jobA = randomUUID();
    const jobB = randomUUID();
    await append(`job:${jobA}`, 'JobPosted', 2, posting(jobA, 'berlin', 'direct'));
    await append(`job:${jobB}`, 'JobPosted', 2, posting(jobB, 'berlin', 'import'));
    // Version 1 (no salary, no remote): upcast and validated in full.
    const old = await appendJobPosted(store, { portal: 'hamburg' });
    await append(`job:${jobB}`, 'JobUpdated', 1, {
      jobId: jobB,
      employerId: randomUUID(),
      portal: 'berlin',
      region: 'Bayern',
      category: 'it',
      changes: { title: 'Neuer Titel der Stelle' },
    });
    await append(`job:${jobA}`, 'JobClosed', 1, {
      jobId: jobA,
      employerId: randomUUID(),
      portal: 'berlin',
      reason: 'filled',
    });
    const employer = randomUUID();
    await append(`employer:${employer}`, 'JobsRefreshed', 1, {
      refreshId: randomUUID(),
      employerId: employer,
      jobIds: [randomUUID(), randomUUID(), randomUUID()],
      count: 3,
      portals: [
        { portal: 'berlin', count: 2 },
        { portal: 'koeln', count: 1 },
      ],
    });
    await append(`content:${randomUUID()}`, 'BlogPostPublished', 1, {
      postId: randomUUID(),
      slug: 'karrieretipps',
      title: 'Karrieretipps',
      teaser: 'Wie Sie Ihre Bewerbung verbessern.',
      author: 'Redaktion',
      portal: null,
    });
    await append(`employer:${randomUUID()}`, 'EmployerRegistered', 1, {
      employerId: randomUUID(),
      name: 'Muster GmbH',
      website: 'https://muster.example',
      city: 'Köln',
    });
    // Rejected by validation, so skipped by both readers: a required field missing (fast path), a
    // version from the future, an unknown type, a payload that is not an object.
    const { portal: _portal, ...noPortal } = posting(randomUUID(), 'berlin', 'direct');
    const missing = await append(`job:${randomUUID()}`, 'JobPosted', 2, noPortal);
    const future = await append(
      `job:${randomUUID()}`,
      'JobPosted',
      3,
      posting(randomUUID(), 'berlin', 'direct'),
    );
    const unknown = await append(`x:${randomUUID()}`, 'SomethingHappened', 1, { portal: 'berlin' });
    const scalar = await append(`employer:${randomUUID()}`, 'EmployerRegistered', 1, 42);

    const full = await readAllFull();
    const fast = await readAllFast(4);
    expect(fast.count).toBe(full.count);
    expect(fast.events.map((e) => e.id)).toEqual(full.events.map((e) => e.id));
    const skippedIds = [missing, future, unknown, scalar].map((e) => e.id);
    expect(full.events.filter((e) => skippedIds.includes(e.id))).toEqual([]);
    expect(fast.events.filter((e) => skippedIds.includes(e.id))).toEqual([]);
    expect(fast.events).toHaveLength(full.count - skippedIds.length);
    // The envelope fields the fold reads are the stored ones (time to the millisecond, as pg gives it).
    expect(fast.events.map((e) => [e.id, e.type, e.time, e.streamId, e.streamPosition])).toEqual(
      full.events.map((e) => [e.id, e.type, e.time, e.streamId, e.streamPosition]),
    );
    const upcast = fast.events.find((e) => e.id === old.id);
    expect(upcast?.type === 'JobPosted' && upcast.data).toMatchObject({
      portal: 'hamburg',
      source: 'direct',
    });

    const expected = foldActivity(full.events, OPTIONS);
    const actual = foldActivity(fast.events, OPTIONS);
    expect(expected.changes.length).toBeGreaterThan(5);
    expect(actual.changes).toEqual(expected.changes);
    expect([...actual.model.items.values()]).toEqual([...expected.model.items.values()]);
    expect([...actual.model.members]).toEqual([...expected.model.members]);
  });
});
