import { EventStore } from '@feedwerk/event-store';
import { appendManyJobsPosted, openTestDatabase, uniqueName } from '@feedwerk/testing';
import { exportStream } from './history.export';
import { type AdminEventView, HistoryReader } from './history.reader';

/** Reads a whole byte stream as text. */
async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('history export on PostgreSQL: many pages, one page in memory', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let reader: HistoryReader;
  const portal = uniqueName('export-');

  beforeAll(async () => {
    db = await openTestDatabase();
    const store = new EventStore(db.dataSource);
    reader = new HistoryReader(db.dataSource, store);
    // 2,503 matching events (more than five pages of 500), and others that must not be exported.
    for (let i = 0; i < 5; i += 1) await appendManyJobsPosted(store, 500, { portal });
    await appendManyJobsPosted(store, 3, { portal });
    await appendManyJobsPosted(store, 20, { portal: uniqueName('other-') });
  }, 120_000);
  afterAll(() => db.close());

  it('reads the range a page at a time, in position order, each event once', async () => {
    const sizes: number[] = [];
    let last = 0;
    let ordered = true;
    for await (const batch of reader.exportBatches({ portal })) {
      sizes.push(batch.length);
      ordered &&= batch.every((e: AdminEventView) =>
        e.position > last ? ((last = e.position), true) : false,
      );
    }
    expect(sizes).toEqual([500, 500, 500, 500, 500, 3]);
    expect(ordered).toBe(true);
  });

  it('exports every row of every page as JSON lines and as CSV', async () => {
    const jsonl = (await text(exportStream('jsonl', reader.exportBatches({ portal })))).trimEnd().split('\n');
    expect(jsonl).toHaveLength(2_503);
    expect(new Set(jsonl.map((line) => (JSON.parse(line) as AdminEventView).id)).size).toBe(2_503);
    const csv = (await text(exportStream('csv', reader.exportBatches({ portal })))).trimEnd().split('\n');
    expect(csv).toHaveLength(1 + 2_503);
  });
});
