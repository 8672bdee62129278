import { randomUUID } from 'node:crypto';
import { EventStore, type StoredEvent } from '@feedwerk/event-store';
import { storeReader, testMetadata, waitFor, openTestStore, type TestDatabase } from '@feedwerk/testing';

const now = new Date('2026-12-08T01:00:00Z');
/** DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS here; production's default is 10 s. */
const IDLE_TIMEOUT_MS = 2_000;

describe('A frozen append transaction', () => {
  let db: TestDatabase, store: EventStore;
  /** What the relay reads next, from where it stopped. */
  let readOn: () => Promise<StoredEvent[]>;

  beforeAll(async () => {
    ({ db, store } = await openTestStore({
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    }));
    readOn = storeReader(store);
  });
  afterAll(() => db.close());

  const append = (streamId: string, alsoWrite?: Parameters<EventStore['append']>[0]['alsoWrite']) =>
    store.append({
      streamId,
      expectedVersion: 'no_stream',
      events: [{ type: 'TestHappened', schemaVersion: 1, data: {} }],
      metadata: testMetadata,
      now,
      respond: () => null,
      ...(alsoWrite ? { alsoWrite } : {}),
    });

  it('holds readers back only until the server ends the idle transaction', async () => {
    await readOn();

    // The frozen appender: its events are inserted (the transaction has its xid and positions), then it
    // sends nothing more, as a process stopped inside its append transaction does.
    let frozenPid = 0;
    let thaw: () => void = () => undefined;
    const thawed = new Promise<void>((resolve) => (thaw = resolve));
    const frozenStream = `frozen:${randomUUID()}`;
    const frozen = append(frozenStream, async (tx) => {
      const rows = await tx.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      frozenPid = rows[0]?.pid ?? 0;
      await thawed;
    });
    const frozenOutcome = frozen.then(
      () => 'committed',
      () => 'failed',
    );
    await waitFor('the frozen append to be inside its transaction', () => frozenPid !== 0);

    const laterStream = `later:${randomUUID()}`;
    await append(laterStream);
    const committedAt = Date.now();
    const whileFrozen = await readOn();
    const frozenStillOpen = await db.dataSource.query<unknown[]>(
      `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'idle in transaction'`,
      [frozenPid],
    );
    // Commit order: nothing behind the open transaction is read while it lives (unless the server has
    // already ended it, on a machine slow enough to spend the whole timeout between these lines).
    if (frozenStillOpen.length > 0) expect(whileFrozen).toEqual([]);

    // The server ends the session after the timeout; the frontier moves on, to the later event only.
    const seen = [...whileFrozen];
    await waitFor(
      'the later event to be read',
      async () => {
        seen.push(...(await readOn()));
        return seen.some((e) => e.streamId === laterStream);
      },
      { timeoutMs: IDLE_TIMEOUT_MS + 5_000 },
    );
    expect(Date.now() - committedAt).toBeLessThan(IDLE_TIMEOUT_MS + 5_000);
    expect(await db.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [frozenPid])).toEqual(
      [],
    );

    // Thawed, the appender finds its transaction gone: its append fails and its event never exists.
    thaw();
    expect(await frozenOutcome).toBe('failed');
    expect(await store.readStream(frozenStream)).toEqual([]);
    expect([...seen, ...(await readOn())].filter((e) => e.streamId === frozenStream)).toEqual([]);
  });
});
