import { randomUUID } from 'node:crypto';
import { type EventEnvelope } from '@feedwerk/contracts';
import {
  decodeEnvelope,
  encodeEnvelope,
  type IncomingMessage,
  KafkaTransport,
  type Subscription,
  TopicConfigurationError,
} from '@feedwerk/transport';
import { kafkaBrokers, uniqueName, waitFor } from '@feedwerk/testing';
import { ConfigResourceTypes, Kafka } from 'kafkajs';

const envelope = (streamId: string, streamPosition: number): EventEnvelope<string, unknown> => ({
  id: randomUUID(),
  type: 'JobPosted',
  source: '/test',
  time: new Date().toISOString(),
  schemaVersion: 1,
  streamId,
  streamPosition,
  globalPosition: streamPosition,
  correlationId: 'corr',
  causationId: null,
  actor: { kind: 'employer', id: 'e1' },
  data: { n: streamPosition },
});

describe('Kafka transport on a real broker', () => {
  const prefix = `${uniqueName('t')}.`;
  const transport = new KafkaTransport({ brokers: kafkaBrokers(), clientId: 'test', topicPrefix: prefix });
  const subscriptions: Subscription[] = [];

  beforeAll(() => transport.ensureTopics([{ topic: 'events', partitions: 3, replicationFactor: 1 }]));
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await transport.close();
  });

  const collect = async (groupId: string, sink: IncomingMessage[], fail?: () => boolean) => {
    subscriptions.push(
      await transport.subscribe({
        groupId,
        topics: ['events'],
        fromBeginning: true,
        handle: async (batch) => {
          if (fail?.()) throw new Error('transient');
          sink.push(...batch);
        },
      }),
    );
  };

  it('delivers every message to every group, in order per key, with CloudEvents binary-mode headers', async () => {
    const a: IncomingMessage[] = [];
    const b: IncomingMessage[] = [];
    await collect(uniqueName('group-a-'), a);
    await collect(uniqueName('group-b-'), b);
    const streams = ['job:1', 'job:2', 'job:3', 'job:4'];
    const sent = streams.flatMap((s) => [1, 2, 3].map((v) => envelope(s, v)));
    for (const chunk of [sent.slice(0, 6), sent.slice(6)])
      await transport.publish('events', chunk.map(encodeEnvelope));

    await waitFor('both groups to receive all 12 messages', () => a.length >= 12 && b.length >= 12, {
      timeoutMs: 30_000,
    });
    for (const received of [a, b]) {
      const decoded = received.map(decodeEnvelope);
      for (const s of streams) {
        expect(decoded.filter((e) => e.streamId === s).map((e) => e.streamPosition)).toEqual([1, 2, 3]);
      }
    }
    const first = a.find((m) => m.headers.ce_id === sent[0]!.id)!;
    expect(first.key).toBe('job:1');
    expect(first.headers).toMatchObject({
      ce_id: sent[0]!.id,
      ce_type: 'JobPosted',
      ce_source: '/test',
      ce_time: sent[0]!.time,
      ce_specversion: '1.0',
      'content-type': 'application/json',
    });
    expect(JSON.parse(first.value!.toString())).toEqual({ n: 1 });
  });

  it('redelivers a batch whose handler failed instead of skipping it', async () => {
    const received: IncomingMessage[] = [];
    let failures = 2;
    await collect(uniqueName('group-retry-'), received, () => failures-- > 0);
    const marker = envelope(`job:${randomUUID()}`, 1);
    await transport.publish('events', [encodeEnvelope(marker)]);
    await waitFor(
      'the failed batch to be redelivered',
      () => received.some((m) => m.headers.ce_id === marker.id),
      {
        timeoutMs: 30_000,
      },
    );
    expect(failures).toBeLessThan(0);
  });

  it('hands one call the batches of several partitions when asked to, in order per partition, and retries a failed call whole', async () => {
    const topic = `merged-${randomUUID()}`;
    await transport.ensureTopics([{ topic, partitions: 3, replicationFactor: 1 }]);
    const calls: IncomingMessage[][] = [];
    // Every call, the failed one too: the merge is shown by a call, the retries of a failed merged
    // call go back one partition each and merge again only when their back-offs happen to meet.
    const attempts: IncomingMessage[][] = [];
    let failOnce = true;
    let allPublished: () => void = () => undefined;
    const published = new Promise<void>((resolve) => (allPublished = resolve));
    subscriptions.push(
      await transport.subscribe({
        groupId: uniqueName('group-merged-'),
        topics: [topic],
        fromBeginning: true,
        partitionsPerCall: 8,
        handle: async (batch) => {
          // Calls wait until everything is published, so that the partitions' batches pile up
          // behind them and are merged.
          await published;
          attempts.push([...batch]);
          if (failOnce && new Set(batch.map((m) => m.partition)).size > 1) {
            failOnce = false;
            throw new Error('transient');
          }
          calls.push([...batch]);
        },
      }),
    );
    const streams = Array.from({ length: 12 }, (_, i) => `job:${i}`);
    for (let version = 1; version <= 5; version += 1) {
      await transport.publish(
        topic,
        streams.map((s) => encodeEnvelope(envelope(s, version))),
      );
    }
    allPublished();
    const handled = () => calls.flat().map(decodeEnvelope);
    await waitFor('all 60 messages', () => handled().length >= 60, { timeoutMs: 30_000 });
    expect(failOnce).toBe(false);
    expect(attempts.some((call) => new Set(call.map((m) => m.partition)).size > 1)).toBe(true);
    for (const s of streams) {
      expect(
        handled()
          .filter((e) => e.streamId === s)
          .map((e) => e.streamPosition),
      ).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('commits what a handler returned from: a restarted member of the group resumes after it', async () => {
    const groupId = uniqueName('group-resume-');
    const first: IncomingMessage[] = [];
    const subscription = await transport.subscribe({
      groupId,
      topics: ['events'],
      fromBeginning: true,
      handle: async (batch) => {
        first.push(...batch);
      },
    });
    const before = [1, 2, 3].map((v) => envelope('job:resume', v));
    await transport.publish('events', before.map(encodeEnvelope));
    await waitFor('the first three', () => first.filter((m) => m.key === 'job:resume').length >= 3, {
      timeoutMs: 30_000,
    });
    await subscription.stop();

    const after = [4, 5].map((v) => envelope('job:resume', v));
    await transport.publish('events', after.map(encodeEnvelope));
    const second: IncomingMessage[] = [];
    await collect(groupId, second);
    await waitFor(
      'the two sent while it was stopped',
      () => second.filter((m) => m.key === 'job:resume').length >= 2,
      {
        timeoutMs: 30_000,
      },
    );
    // Only what came after: nothing handled before the stop is delivered again. (The topic holds other
    // tests' records too, on other partitions, which the first member may not have reached: not compared.)
    expect(second.filter((m) => m.key === 'job:resume').map((m) => decodeEnvelope(m).id)).toEqual(
      after.map((e) => e.id),
    );
  });

  it('commits the offsets of handled batches, so a restarted consumer does not read them again', async () => {
    const group = uniqueName('group-commit-');
    const first: IncomingMessage[] = [];
    await collect(group, first);
    const sent = [1, 2, 3].map((v) => envelope(`job:${randomUUID()}`, v));
    await transport.publish('events', sent.map(encodeEnvelope));
    await waitFor(
      'the three messages',
      () => sent.every((e) => first.some((m) => m.headers.ce_id === e.id)),
      {
        timeoutMs: 30_000,
      },
    );
    const kafka = new Kafka({ clientId: 'test-admin', brokers: kafkaBrokers() });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(`${prefix}events`);
      const committed = await waitFor(
        'the group to commit up to the end of every partition',
        async () => {
          const [offsets] = await admin.fetchOffsets({
            groupId: transport.groupName(group),
            topics: [`${prefix}events`],
          });
          const all = offsets!.partitions.map((p) => ({ partition: p.partition, offset: p.offset }));
          const done = ends.every(
            (e) => e.high === '0' || all.find((p) => p.partition === e.partition)?.offset === e.high,
          );
          return done ? all : false;
        },
        { timeoutMs: 30_000 },
      );
      expect(committed.sort((x, y) => x.partition - y.partition)).toEqual(
        ends
          .sort((x, y) => x.partition - y.partition)
          .map((e) => ({ partition: e.partition, offset: e.high === '0' ? '-1' : e.high })),
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('commits in time, not per batch: handled offsets wait for the interval, and a stop commits them', async () => {
    // An interval no test waits for: whatever is committed below was committed by the stop.
    const patient = new KafkaTransport({
      brokers: kafkaBrokers(),
      clientId: 'test-patient',
      topicPrefix: prefix,
      commitIntervalMs: 600_000,
    });
    const group = uniqueName('group-interval-');
    const seen: IncomingMessage[] = [];
    const subscription = await patient.subscribe({
      groupId: group,
      topics: ['events'],
      fromBeginning: true,
      handle: async (batch) => {
        seen.push(...batch);
      },
    });
    const admin = new Kafka({ clientId: 'test-admin', brokers: kafkaBrokers() }).admin();
    await admin.connect();
    try {
      const committed = async () => {
        const [offsets] = await admin.fetchOffsets({
          groupId: patient.groupName(group),
          topics: [`${prefix}events`],
        });
        return offsets!.partitions
          .map((p) => ({ partition: p.partition, offset: p.offset }))
          .sort((x, y) => x.partition - y.partition);
      };
      const sent = [1, 2, 3, 4].map((v) => envelope(`job:${randomUUID()}`, v));
      for (const e of sent) await transport.publish('events', [encodeEnvelope(e)]);
      await waitFor(
        'the four messages',
        () => sent.every((e) => seen.some((m) => m.headers.ce_id === e.id)),
        {
          timeoutMs: 30_000,
        },
      );
      const ends = (await admin.fetchTopicOffsets(`${prefix}events`)).sort(
        (x, y) => x.partition - y.partition,
      );
      await waitFor('every partition read to its end', () =>
        ends.every((e) => seen.filter((m) => m.partition === e.partition).length >= Number(e.high)),
      );
      // Handled, and nothing committed yet: no commit request per batch.
      expect((await committed()).every((p) => p.offset === '-1')).toBe(true);

      await subscription.stop();
      expect(await committed()).toEqual(
        ends.map((e) => ({ partition: e.partition, offset: e.high === '0' ? '-1' : e.high })),
      );
    } finally {
      await admin.disconnect();
      await patient.close();
    }
  });

  it('keeps the consumer groups of deployments with different prefixes apart', async () => {
    const other = new KafkaTransport({
      brokers: kafkaBrokers(),
      clientId: 'test',
      topicPrefix: `${uniqueName('t')}.`,
    });
    await other.ensureTopics([{ topic: 'events', partitions: 3, replicationFactor: 1 }]);
    const group = uniqueName('shared-name-');
    const mine: IncomingMessage[] = [];
    const theirs: IncomingMessage[] = [];
    await collect(group, mine);
    const theirSubscription = await other.subscribe({
      groupId: group,
      topics: ['events'],
      fromBeginning: true,
      handle: async (batch) => void theirs.push(...batch),
    });
    try {
      const a = envelope(`job:${randomUUID()}`, 1);
      const b = envelope(`job:${randomUUID()}`, 1);
      await transport.publish('events', [encodeEnvelope(a)]);
      await other.publish('events', [encodeEnvelope(b)]);
      await waitFor(
        'each deployment to receive its own message',
        () => mine.some((m) => m.headers.ce_id === a.id) && theirs.some((m) => m.headers.ce_id === b.id),
        { timeoutMs: 30_000 },
      );
      expect(theirs.some((m) => m.headers.ce_id === a.id)).toBe(false);
      const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'check' }).admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([transport.groupName(group), other.groupName(group)]);
      await admin.disconnect();
      expect(groups.map((g) => g.members.length)).toEqual([1, 1]);
    } finally {
      await theirSubscription.stop();
      await other.close();
    }
  });

  it('never changes the partition count of an existing topic', async () => {
    await expect(
      transport.ensureTopics([{ topic: 'events', partitions: 5, replicationFactor: 1 }]),
    ).rejects.toThrow(TopicConfigurationError);
    const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'check' }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [`${prefix}events`] });
    await admin.disconnect();
    expect(meta.topics[0]!.partitions).toHaveLength(3);
  });

  it('refuses an existing topic whose replication factor differs, naming it, and changes nothing', async () => {
    const attempt = transport.ensureTopics([{ topic: 'events', partitions: 3, replicationFactor: 3 }]);
    await expect(attempt).rejects.toThrow(TopicConfigurationError);
    await expect(attempt).rejects.toThrow(
      `topic ${prefix}events has replication factor 1, configuration says 3`,
    );
  });

  it('accepts a topic listed twice alike, and refuses one listed twice differently', async () => {
    const spec = { topic: 'events', partitions: 3, replicationFactor: 1 };
    await expect(transport.ensureTopics([spec, { ...spec }])).resolves.toEqual([]);
    await expect(transport.ensureTopics([spec, { ...spec, partitions: 4 }])).rejects.toThrow(
      'topic events is specified twice, differently',
    );
  });

  it('names every mismatch in one error', async () => {
    await expect(
      transport.ensureTopics([{ topic: 'events', partitions: 4, replicationFactor: 2 }]),
    ).rejects.toThrow(
      /has 3 partitions, configuration says 4.*has replication factor 1, configuration says 2/,
    );
  });

  it('creates a topic with its retention and reports a different retention later without changing it', async () => {
    const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'check' }).admin();
    await admin.connect();
    const retention = async () => {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: `${prefix}kept`, configNames: ['retention.ms'] },
        ],
      });
      return described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    };
    try {
      const spec = { topic: 'kept', partitions: 2, replicationFactor: 1 };
      const created = await transport.ensureTopics([{ ...spec, config: { 'retention.ms': '86400000' } }]);
      expect(created).toEqual([]);
      expect(await retention()).toBe('86400000');

      const drift = await transport.ensureTopics([{ ...spec, config: { 'retention.ms': '172800000' } }]);
      expect(drift).toEqual([
        { topic: 'kept', config: 'retention.ms', expected: '172800000', actual: '86400000' },
      ]);
      expect(await retention()).toBe('86400000');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('Kafka transport: apps starting together', () => {
  it('lets several apps create and check the same new topics at once', async () => {
    // Start-up of a distributed deployment: every app ensures the same topics at the same moment.
    // The apps that lose the creation race must wait for the winner's partitions instead of
    // failing on metadata that is not yet there (UNKNOWN_TOPIC_OR_PARTITION; a CI run failed on it).
    const specs = ['a', 'b', 'c', 'd'].map((topic) => ({ topic, partitions: 3, replicationFactor: 1 }));
    for (let round = 0; round < 5; round += 1) {
      const prefix = `${uniqueName('race')}.`;
      const apps = Array.from(
        { length: 4 },
        (_, i) => new KafkaTransport({ brokers: kafkaBrokers(), clientId: `app-${i}`, topicPrefix: prefix }),
      );
      try {
        const results = await Promise.allSettled(apps.map((app) => app.ensureTopics(specs)));
        expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(
          apps.map(() => 'ok'),
        );
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    }
  });
});
