import { randomUUID } from 'node:crypto';
import { PublicTopics, Topics } from '@feedwerk/contracts';
import {
  applyAcls,
  createTransport,
  DEFAULT_PRINCIPALS,
  encodeEnvelope,
  encodePublicRecord,
  feedwerkAcls,
  type IncomingMessage,
  KafkaTransport,
  replayTopic,
  type Subscription,
} from '@feedwerk/transport';
import { loadConfig } from '@feedwerk/platform';
import pino from 'pino';
import { type SecureKafka, startSecureKafka, waitFor } from '@feedwerk/testing';
import { type Consumer, Kafka, logLevel } from 'kafkajs';

// The one test with SASL/SCRAM and ACLs on (reliability.md, security (e)): a broker of its own with
// allow.everyone.if.no.acl.found=false, the grants from feedwerkAcls applied by the admin, and each
// principal trying what it may and may not do.
const ANALYTICS = 'analytics-team-a';
const principals = { ...DEFAULT_PRINCIPALS, analytics: [ANALYTICS] };
const internalJobs = Topics.events('jobs');

/** The Kafka error code name (e.g. TOPIC_AUTHORIZATION_FAILED) of a kafkajs error or anything it wraps. */
function kafkaErrorType(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error;) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && type !== 'UNKNOWN') return type;
    e = (e as { originalError?: unknown }).originalError ?? e.cause;
  }
  return undefined;
}

describe('least-privilege Kafka: SASL/SCRAM + ACLs', () => {
  let kafka: SecureKafka;
  const clients: { disconnect(): Promise<void> }[] = [];
  const transports: KafkaTransport[] = [];
  const subscriptions: Subscription[] = [];

  /** Error types the broker answered, as kafkajs logs them (some it reports only under another name). */
  const brokerErrors: string[] = [];
  const client = (user: string): Kafka =>
    new Kafka({
      clientId: user,
      brokers: kafka.brokers,
      sasl: kafka.sasl(user),
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const type = kafkaErrorType(entry.log['error']);
        if (type) brokerErrors.push(`${user}: ${type}`);
      },
      retry: { retries: 2, initialRetryTime: 100 },
    });
  // Built the way the apps build theirs: from KAFKA_SASL_* settings.
  const transport = (user: string): KafkaTransport => {
    const { password } = kafka.sasl(user);
    const config = loadConfig({
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_CLIENT_ID: user,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD: password,
    });
    const t = createTransport(config, pino({ level: 'silent' }));
    if (!(t instanceof KafkaTransport)) throw new Error('expected the Kafka transport');
    transports.push(t);
    return t;
  };

  /** Runs an analytics consumer and resolves with the error that stops it (subscribe, join or fetch). */
  const consumerError = async (user: string, groupId: string, topic: string): Promise<unknown> => {
    const consumer: Consumer = client(user).consumer({
      groupId,
      retry: { retries: 0 },
      allowAutoTopicCreation: false,
    });
    clients.push(consumer);
    const crashed = new Promise<unknown>((resolve) => {
      consumer.on(consumer.events.CRASH, (event) => resolve(event.payload.error));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    } catch (error) {
      return error;
    }
    return crashed;
  };

  beforeAll(async () => {
    kafka = await startSecureKafka([
      principals.relay,
      principals.projector,
      principals.ticker,
      principals.admin,
      ANALYTICS,
    ]);
    const admin = client('admin').admin();
    clients.push(admin);
    await admin.connect();
    // Topics are the admin's to create (auto-creation is off, and no app principal may create).
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        internalJobs,
        Topics.deadLetter,
        Topics.tickerChanges,
        PublicTopics.jobs,
        PublicTopics.activity,
        replayTopic('jobs'),
      ].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
    const created = await applyAcls(admin, feedwerkAcls(principals));
    expect(created).toBeGreaterThan(10);
    // The controller has the ACLs when createAcls returns; the broker applies them a moment later.
    const probe = client(ANALYTICS).admin();
    clients.push(probe);
    await probe.connect();
    await waitFor(
      'the ACLs to reach the broker',
      () => probe.fetchTopicMetadata({ topics: [PublicTopics.jobs] }).then(() => true),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await kafka?.stop();
  });

  const publicRecord = () =>
    encodePublicRecord({
      family: 'jobs',
      key: `job:${randomUUID()}`,
      id: randomUUID(),
      type: 'JobClosed',
      version: 1,
      subject: 'job:1',
      time: new Date().toISOString(),
      correlationId: null,
      causationId: null,
      data: { jobId: randomUUID(), employerId: randomUUID(), portal: 'berlin', reason: 'filled' },
    });

  it('lets the relay publish internal and public events, the projector consume them and write the DLT', async () => {
    const relay = transport(principals.relay);
    // The apps' start-up check passes on Describe alone (the topics exist).
    await relay.ensureTopics([{ topic: internalJobs, partitions: 1, replicationFactor: 1 }]);
    const jobId = randomUUID();
    await relay.publish(internalJobs, [
      encodeEnvelope({
        id: randomUUID(),
        type: 'JobClosed',
        source: '/test',
        time: new Date().toISOString(),
        schemaVersion: 1,
        streamId: `job:${jobId}`,
        streamPosition: 2,
        globalPosition: 7,
        correlationId: 'corr',
        causationId: null,
        actor: { kind: 'employer', id: 'e1' },
        data: { jobId },
      }),
    ]);
    await relay.publish(PublicTopics.jobs, [publicRecord()]);

    const projector = transport(principals.projector);
    const seen: IncomingMessage[] = [];
    subscriptions.push(
      await projector.subscribe({
        groupId: 'projector.activity',
        topics: [internalJobs],
        fromBeginning: true,
        handle: async (batch) => {
          seen.push(...batch);
        },
      }),
    );
    await waitFor(
      'the projector to read the relayed event',
      () => seen.some((m) => m.key === `job:${jobId}`),
      {
        timeoutMs: 60_000,
      },
    );
    await projector.publish(Topics.deadLetter, [{ key: 'k', value: '{}', headers: {} }]);
    await projector.publish(Topics.tickerChanges, [{ key: 'k', value: '{}', headers: {} }]);
  });

  it('lets an analytics principal read a public topic with its own analytics- group', async () => {
    const consumer = client(ANALYTICS).consumer({ groupId: `${ANALYTICS}.positive` });
    clients.push(consumer);
    const types: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [PublicTopics.jobs], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        types.push(String(message.headers?.['ce_type']));
      },
    });
    await waitFor('the analytics consumer to read the public record', () => types.includes('JobClosed'), {
      timeoutMs: 60_000,
    });
  });

  it('refuses an analytics principal that produces, even to a public topic', async () => {
    const producer = client(ANALYTICS).producer({ allowAutoTopicCreation: false });
    clients.push(producer);
    await producer.connect();
    const error = await producer
      .send({ topic: PublicTopics.jobs, messages: [{ key: 'k', value: '{}' }] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(kafkaErrorType(error)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('refuses an analytics principal that reads the dead-letter topic', async () => {
    const error = await consumerError(ANALYTICS, `${ANALYTICS}.dlt`, Topics.deadLetter);
    expect(kafkaErrorType(error)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('refuses an analytics principal that reads an internal topic', async () => {
    for (const topic of [internalJobs, Topics.tickerChanges]) {
      const error = await consumerError(ANALYTICS, `${ANALYTICS}.internal`, topic);
      expect(kafkaErrorType(error)).toBe('TOPIC_AUTHORIZATION_FAILED');
    }
  });

  // kafkajs asks every broker for the group's coordinator and, when all refuse, reports
  // KafkaJSGroupCoordinatorNotFound; the broker's own answer is in its debug log.
  const expectGroupRefused = (error: unknown, user: string) => {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('KafkaJSGroupCoordinatorNotFound');
    expect(brokerErrors).toContain(`${user}: GROUP_AUTHORIZATION_FAILED`);
  };

  it('refuses an analytics principal that uses a consumer group outside analytics-', async () => {
    brokerErrors.length = 0;
    const error = await consumerError(ANALYTICS, 'projector.activity', PublicTopics.jobs);
    expectGroupRefused(error, ANALYTICS);
  });

  it('keeps the ticker to the feed changes and the relay from reading', async () => {
    const ticker = await consumerError(principals.ticker, 'ticker.node-1', internalJobs);
    expect(kafkaErrorType(ticker)).toBe('TOPIC_AUTHORIZATION_FAILED');
    brokerErrors.length = 0;
    const relay = await consumerError(principals.relay, 'projector.activity', internalJobs);
    expectGroupRefused(relay, principals.relay);
  });
});
