import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicTopics, type PublicRecord } from '@feedwerk/contracts';
import { encodePublicRecord } from '@feedwerk/transport';
import { kafkaBrokers, testKafkaTransport, uniqueName, waitFor } from '@feedwerk/testing';
import { Kafka, logLevel } from 'kafkajs';
import { AnalyticsConsumer } from './analytics.consumer';

const time = '2026-11-27T07:42:10.000Z';
const jobPosted = (portal: string, region: string): PublicRecord => {
  const jobId = randomUUID();
  return {
    family: 'jobs',
    key: `job:${jobId}`,
    id: randomUUID(),
    type: 'JobPosted',
    version: 1,
    subject: `job:${jobId}`,
    time,
    correlationId: randomUUID(),
    causationId: null,
    data: {
      jobId,
      employerId: randomUUID(),
      title: 'Pflegefachkraft (m/w/d)',
      location: { city: 'Berlin', region, postcode: '10115' },
      category: 'pflege',
      employmentType: 'full-time',
      portal,
      source: 'direct',
      salary: null,
      remote: false,
    },
  };
};
const refreshed = (): PublicRecord => ({
  family: 'jobs',
  key: `employer:${randomUUID()}`,
  id: randomUUID(),
  type: 'JobsRefreshed',
  version: 1,
  subject: 'employer:x',
  time,
  correlationId: null,
  causationId: null,
  data: {
    refreshId: randomUUID(),
    employerId: randomUUID(),
    count: 3,
    portals: [
      { portal: 'berlin', count: 2 },
      { portal: 'hamburg', count: 1 },
    ],
  },
});

describe('analytics-example: counts public records and resumes from its committed offsets', () => {
  // Published the way the relay publishes public records: encodePublicRecord through the transport.
  const relay = testKafkaTransport('relay');
  const topic = `${relay.topicPrefix}${PublicTopics.jobs}`;
  const groupId = uniqueName('analytics-example-');
  const admin = new Kafka({
    brokers: kafkaBrokers(),
    clientId: 'ax-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  let dir: string;
  let consumer: AnalyticsConsumer | null = null;
  const logs: string[] = [];

  const start = async () => {
    consumer = new AnalyticsConsumer({
      brokers: kafkaBrokers(),
      groupId,
      topics: [topic],
      stateFile: join(dir, 'state.json'),
      log: (line) => logs.push(line),
    });
    await consumer.start();
    return consumer;
  };
  const stop = async () => {
    await consumer?.stop();
    consumer = null;
  };
  /**
   * Done when the offsets stored with the counts reach the end of every partition. Waiting for a
   * count instead would hang when Kafka redelivers records (they are skipped, so a sum overshoots).
   */
  const caughtUp = (c: AnalyticsConsumer) => async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const stored = c.offsets();
    const behind = ends.filter((p) => (stored[`${topic}:${p.partition}`] ?? '0') !== p.high);
    if (behind.length > 0) {
      throw new Error(
        `counted ${c.counted}, skipped ${c.skipped}; stored ${JSON.stringify(stored)}, ends ${JSON.stringify(ends)}; kafkajs: ${logs.slice(-5).join(' | ')}`,
      );
    }
    return true;
  };
  const count = (c: AnalyticsConsumer, type: string, portal: string) =>
    c
      .rows()
      .filter((r) => r.type === type && r.portal === portal)
      .reduce((sum, r) => sum + r.count, 0);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-example-'));
    await relay.ensureTopics([{ topic: PublicTopics.jobs, partitions: 2, replicationFactor: 1 }]);
    await admin.connect();
  });
  afterAll(async () => {
    await stop();
    await relay.close();
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts per type, portal, region and hour; after a restart it counts only what is new, once', async () => {
    const first = [
      jobPosted('berlin', 'BE'),
      jobPosted('berlin', 'BE'),
      jobPosted('koeln', 'NW'),
      refreshed(),
    ];
    await relay.publish(
      PublicTopics.jobs,
      first.map((r) => encodePublicRecord(r)),
    );

    const a = await start();
    await waitFor('the first four records counted', caughtUp(a), { timeoutMs: 120_000 });
    expect(a.counted).toBe(4);
    expect(a.rows()).toEqual(
      expect.arrayContaining([
        { type: 'JobPosted', portal: 'berlin', region: 'BE', hour: '2026-11-27T07:00Z', count: 2 },
        { type: 'JobPosted', portal: 'koeln', region: 'NW', hour: '2026-11-27T07:00Z', count: 1 },
        { type: 'JobsRefreshed', portal: 'berlin', region: '-', hour: '2026-11-27T07:00Z', count: 1 },
        { type: 'JobsRefreshed', portal: 'hamburg', region: '-', hour: '2026-11-27T07:00Z', count: 1 },
      ]),
    );
    await stop();

    // While it is down: two new postings, and one earlier record published again (same ce_id).
    const again = first[0];
    if (!again) throw new Error('fixture');
    await relay.publish(PublicTopics.jobs, [
      ...[jobPosted('berlin', 'BE'), jobPosted('berlin', 'BE')].map((r) => encodePublicRecord(r)),
      encodePublicRecord(again),
    ]);
    const b = await start();
    await waitFor('the three new messages handled', caughtUp(b), { timeoutMs: 120_000 });
    // The record published again is skipped by its ce_id; anything Kafka redelivers is skipped too.
    expect(b.counted).toBe(2);
    expect(b.skipped).toBeGreaterThanOrEqual(1);
    expect(count(b, 'JobPosted', 'berlin')).toBe(4);
    expect(count(b, 'JobPosted', 'koeln')).toBe(1);
    await stop();
  }, 300_000);

  it('counts nothing twice when it died after storing counts but before committing to Kafka', async () => {
    await stop(); // the group must be empty to rewind it, also when the test before failed half-way
    // Rewinding the group's committed offsets to the start is what such a crash looks like to the
    // next run: Kafka hands out records whose counts are already stored.
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const c = await start();
    await waitFor('every redelivered record to be skipped', () => c.skipped >= 7, { timeoutMs: 120_000 });
    expect(c.counted).toBe(0);
    // A fresh record after the redelivered ones proves the consumer went past them.
    await relay.publish(PublicTopics.jobs, [encodePublicRecord(jobPosted('koeln', 'NW'))]);
    await waitFor('the fresh record counted', caughtUp(c), { timeoutMs: 120_000 });
    expect(c.counted).toBe(1);
    expect(c.skipped).toBeGreaterThanOrEqual(7);
    expect(count(c, 'JobPosted', 'berlin')).toBe(4);
    expect(count(c, 'JobPosted', 'koeln')).toBe(2);
  }, 300_000);
});
