import { AdminRoutes, type DeadLetterList, Topics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { appendJobPosted } from '@feedwerk/testing';
import { encodeEnvelope, MESSAGE_TRANSPORT, type MessageTransport } from '@feedwerk/transport';
import { call, type Deployment, startEmbedded, TEST_ADMIN_TOKEN } from './support';

/**
 * The embedded default keeps no message log (in-process transport), so dead letters are listed
 * from PostgreSQL (PGlite here): the same admin API works in both modes.
 */
describe('dead letters in the embedded default (PGlite, in-process transport)', () => {
  let deployment: Deployment;
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

  beforeAll(async () => {
    deployment = await startEmbedded();
  }, 180_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  it('parks a poison record, lists it, replays it (parked again), and the good record after it is applied', async () => {
    const app = deployment.apps[0]!;
    const transport = app.get<MessageTransport>(MESSAGE_TRANSPORT);
    const store = app.get(EventStore);
    const good = encodeEnvelope(await appendJobPosted(store, { portal: 'embedded-dlt' }));
    await transport.publish(Topics.events('jobs'), [{ ...good, key: 'job:not-this-one' }, good]);

    const listed = await call(deployment.apiUrl, 'GET', AdminRoutes.deadLetters, undefined, admin);
    expect(listed.status).toBe(200);
    const items = (listed.body as unknown as DeadLetterList).items;
    expect(items.map((d) => [d.group, d.reason, d.key]).sort()).toEqual([
      ['projector.activity', 'record key does not match ce_subject', 'job:not-this-one'],
      ['projector.jobs', 'record key does not match ce_subject', 'job:not-this-one'],
    ]);
    const jobId = good.headers.ce_subject!.slice('job:'.length);
    expect((await call(deployment.apiUrl, 'GET', `/jobs/${jobId}`)).status).toBe(200);

    const replay = await call(deployment.apiUrl, 'POST', AdminRoutes.deadLettersReplay, { all: true }, admin);
    expect(replay.body).toMatchObject({ replayed: 2, unknownIds: [] });
    const after = (
      await call(deployment.apiUrl, 'GET', `${AdminRoutes.deadLetters}?status=all`, undefined, admin)
    ).body as unknown as DeadLetterList;
    // Sent once (both groups parked the same record), parked again by both groups as new dead letters.
    expect(after.items.map((d) => d.replayCount)).toEqual([1, 1, 0, 0]);
    expect(after.items.slice(2).map((d) => d.headers.feedwerk_dlt_replay)).toEqual([
      replay.body.actionId,
      replay.body.actionId,
    ]);
  });
});
