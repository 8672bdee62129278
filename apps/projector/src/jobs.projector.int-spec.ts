import { Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { DeadLetterOffice } from '@feedwerk/platform';
import { JobsProjection, JobsReadModel } from '@feedwerk/read-models';
import {
  appendJobPosted,
  openTestDatabase,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { encodeEnvelope, type IncomingMessage, type Subscription } from '@feedwerk/transport';
import { JOBS_GROUP, JobsProjector } from './jobs.projector';

describe('jobs projector on Kafka: its own consumer group, duplicates change nothing, poison is parked', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projector: JobsProjector;
  const transport = testKafkaTransport('jobs-projector-test');
  const dead: IncomingMessage[] = [];
  let dlt: Subscription;

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    await transport.ensureTopics(
      [Topics.events('jobs'), Topics.events('employers'), Topics.deadLetter].map((topic) => ({
        topic,
        partitions: 2,
        replicationFactor: 1,
      })),
    );
    projector = new JobsProjector(
      new JobsProjection(db.dataSource, store),
      transport,
      new DeadLetterOffice(transport, db.dataSource),
    );
    await projector.onModuleInit();
    dlt = await transport.subscribe({
      groupId: uniqueName('dlt-reader-'),
      topics: [Topics.deadLetter],
      fromBeginning: true,
      handle: async (batch) => {
        dead.push(...batch);
      },
    });
  });
  afterAll(async () => {
    await dlt.stop();
    await projector.onModuleDestroy();
    await transport.close();
    await db.close();
  });

  it('projects a job delivered twice once, and dead-letters a record that is not an event', async () => {
    const posted = await appendJobPosted(store, { portal: 'kafka', title: 'Gärtner (m/w/d)' });
    const message = encodeEnvelope(posted);
    await transport.publish(Topics.events('jobs'), [{ ...message, value: 'not json' }, message, message]);
    const model = new JobsReadModel(db.dataSource);
    const jobId = (posted.data as { jobId: string }).jobId;
    const job = await waitFor('the job in the read model', () => model.job(jobId).then((j) => j ?? false), {
      timeoutMs: 30_000,
    });
    expect(job).toMatchObject({
      jobId,
      version: 1,
      title: 'Gärtner (m/w/d)',
      portal: 'kafka',
      status: 'open',
    });
    await waitFor('the dead letter', () => dead.length >= 1, { timeoutMs: 30_000 });
    expect(dead[0]!.headers).toMatchObject({ 'dlt-group': JOBS_GROUP, 'dlt-topic': Topics.events('jobs') });
    expect((await model.list({ portal: 'kafka' }, { limit: 10 })).items).toHaveLength(1);
  });
});
