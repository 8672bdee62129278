import { type OpenedDatabase } from '@feedwerk/platform';
import { EventStore } from '@feedwerk/event-store';
import { openTestDatabase } from '@feedwerk/testing';
import { postedJob } from '../shared/posted-job.fixture';
import { CloseJobCommand } from './close-job/close-job.command';
import { CloseJobHandler } from './close-job/close-job.handler';
import { UpdateJobCommand } from './update-job/update-job.command';
import { UpdateJobHandler } from './update-job/update-job.handler';

/**
 * A store whose first key look-up misses, as when a retry's look-up runs just before the first
 * attempt with the same key commits (the window the fault harness hit under load).
 */
class LookUpJustBeforeCommit extends EventStore {
  private missed = false;
  override async findIdempotent(scope: string, key: string) {
    if (!this.missed) {
      this.missed = true;
      return null;
    }
    return super.findIdempotent(scope, key);
  }
}

describe('a retry whose first attempt committed while it was being checked', () => {
  let database: OpenedDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  it('gets the first answer of an update, not a 412, and the job is updated once', async () => {
    const { store, jobId, employerId, contextFor } = await postedJob(database.dataSource);
    const body = { title: 'Pflegefachkraft Nacht (m/w/d)' };
    const command = new UpdateJobCommand(employerId, jobId, body, 1, contextFor(body, 'retry-key-update'));

    const first = await new UpdateJobHandler(store).execute(command);
    const retry = await new UpdateJobHandler(new LookUpJustBeforeCommit(database.dataSource)).execute(
      command,
    );

    expect(first).toEqual({ jobId, version: 2 });
    expect(retry).toEqual(first);
    expect((await store.readStream(`job:${jobId}`)).map((e) => e.type)).toEqual(['JobPosted', 'JobUpdated']);
  });

  it('gets the first answer of a close, not "already closed", and the job is closed once', async () => {
    const { store, jobId, employerId, contextFor } = await postedJob(database.dataSource);
    const input = { reason: 'filled' as const };
    const command = new CloseJobCommand(employerId, jobId, input, null, contextFor(input, 'retry-key-close'));

    const first = await new CloseJobHandler(store).execute(command);
    const retry = await new CloseJobHandler(new LookUpJustBeforeCommit(database.dataSource)).execute(command);

    expect(retry).toEqual(first);
    expect((await store.readStream(`job:${jobId}`)).map((e) => e.type)).toEqual(['JobPosted', 'JobClosed']);
  });

  it('still refuses a retry with a stale If-Match when no attempt with its key committed', async () => {
    const { store, jobId, employerId, contextFor } = await postedJob(database.dataSource);
    const a = { title: 'Erste Änderung' };
    await new UpdateJobHandler(store).execute(
      new UpdateJobCommand(employerId, jobId, a, 1, contextFor(a, 'retry-key-a')),
    );
    const b = { title: 'Zweite Änderung' };
    await expect(
      new UpdateJobHandler(store).execute(
        new UpdateJobCommand(employerId, jobId, b, 1, contextFor(b, 'retry-key-b')),
      ),
    ).rejects.toMatchObject({ problem: { status: 412 } });
  });
});
