import { jobDecider } from '@feedwerk/domain';
import { type OpenedDatabase } from '@feedwerk/platform';
import { openTestDatabase } from '@feedwerk/testing';
import { jobs } from './aggregates';
import { DeciderCommandHandler } from './decider-command-handler';
import { postedJob } from './posted-job.fixture';

const handle = DeciderCommandHandler(jobs);

describe('DeciderCommandHandler', () => {
  let database: OpenedDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  const updatable = async () => {
    const { store, jobId, employerId, contextFor } = await postedJob(database.dataSource);
    const update = (title: string) => ({
      type: 'UpdateJob' as const,
      data: { jobId, employerId, changes: { title } },
    });
    return { store, jobId, context: contextFor({}), update };
  };

  /** Decides on the version it read, but another change commits first (once). */
  const racedOnce = async (retriesOnConflict: number) => {
    const { store, jobId, context, update } = await updatable();
    let reads = 0;
    const run = handle(
      store,
      jobId,
      async () => {
        reads += 1;
        if (reads === 1)
          await handle(store, jobId, () => update('Die andere Änderung'), { context, respond: () => null });
        return update('Diese Änderung');
      },
      {
        context,
        retriesOnConflict,
        onConflict: (error) => new Error(`lost the race at version ${error.actual}`),
        respond: ({ version }) => version,
      },
    );
    return { run, store, jobId, reads: () => reads };
  };

  it('refuses to append on a version that changed meanwhile, as the command declares', async () => {
    const { run, store, jobId } = await racedOnce(0);
    await expect(run).rejects.toThrow('lost the race at version 2');
    expect((await store.readStream(`job:${jobId}`)).map((e) => e.type)).toEqual(['JobPosted', 'JobUpdated']);
  });

  it('reads and decides again on a conflict when the command asks to', async () => {
    const { run, reads } = await racedOnce(1);
    await expect(run).resolves.toBe(3);
    expect(reads()).toBe(2);
  });

  it('answers from the aggregate and appends nothing when the decider decides nothing', async () => {
    const { store, jobId, context, update } = await updatable();
    const decidesNothing = DeciderCommandHandler({ ...jobs, decider: { ...jobDecider, decide: () => [] } });
    const answer = await decidesNothing(store, jobId, () => update('egal'), {
      context,
      respond: ({ state, version, history }) => ({ status: state.status, version, events: history.length }),
    });
    expect(answer).toEqual({ status: 'open', version: 1, events: 1 });
    expect(await store.readStream(`job:${jobId}`)).toHaveLength(1);
  });
});
