import { randomUUID } from 'node:crypto';
import { type SecureKafka, startSecureKafka, waitFor } from '@feedwerk/testing';
import {
  type AclEntry,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { KafkaTransport } from './kafka.transport';
import { type IncomingMessage, type Subscription } from './transport.port';

const USER = 'consumer';
const TOPIC = 'supervised';
const GROUP = 'supervised-group';

/**
 * A consumer that kafkajs gives up on (a crash it does not restart: here an authorization error,
 * as when an operator revokes an ACL by mistake) is rebuilt by the transport's supervisor, with
 * back-off, and consumes again once the cause is gone (reliability.md row 14). A broker of its own
 * with ACLs on, so that the crash is a real one.
 */
describe('Kafka transport: a supervisor rebuilds a consumer that kafkajs does not restart', () => {
  let kafka: SecureKafka;
  let admin: Admin;
  const logs: { level: string; message: string }[] = [];
  let transport: KafkaTransport;
  let producer: KafkaTransport;
  let subscription: Subscription | null = null;

  const topicRead: AclEntry = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: TOPIC,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: `User:${USER}`,
    host: '*',
    operation: AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW,
  };
  const grants: AclEntry[] = [
    topicRead,
    { ...topicRead, operation: AclOperationTypes.DESCRIBE },
    { ...topicRead, resourceType: AclResourceTypes.GROUP, resourceName: GROUP },
  ];

  beforeAll(async () => {
    kafka = await startSecureKafka([USER]);
    admin = new Kafka({
      brokers: kafka.brokers,
      sasl: kafka.sasl('admin'),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await admin.createAcls({ acl: grants });
    transport = new KafkaTransport({
      brokers: kafka.brokers,
      clientId: 'supervised',
      sasl: kafka.sasl(USER),
      log: (level, message) => logs.push({ level, message }),
      // Commits after every batch: the revoked right also refuses the commit of a record handled just
      // before, and with a commit interval the rebuilt consumer would (correctly, at least once) get
      // it again. Here the point is resuming at the committed offset, so every record counts once.
      commitIntervalMs: 0,
    });
    producer = new KafkaTransport({
      brokers: kafka.brokers,
      clientId: 'producer',
      sasl: kafka.sasl('admin'),
    });
  }, 300_000);

  afterAll(async () => {
    await subscription?.stop();
    await transport?.close();
    await producer?.close();
    await admin?.disconnect();
    await kafka?.stop();
  });

  const send = (n: number) =>
    producer.publish(TOPIC, [{ key: 'k', value: String(n), headers: { id: randomUUID() } }]);

  it('consumes again after a non-retriable crash once the cause is gone, without losing a record', async () => {
    const received: IncomingMessage[] = [];
    await waitFor(
      'the ACLs to reach the broker, and a subscription',
      async () => {
        subscription = await transport.subscribe({
          groupId: GROUP,
          topics: [TOPIC],
          fromBeginning: true,
          handle: async (batch) => {
            received.push(...batch);
          },
        });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await send(1);
    await waitFor('the first record', () => received.length >= 1, { timeoutMs: 60_000 });

    // Revoke the consumer's read right: its next fetch fails with TOPIC_AUTHORIZATION_FAILED, which
    // kafkajs treats as a crash it does not restart from.
    // ACL changes reach the broker's authorizer asynchronously: record 2 is sent only once the
    // revocation has crashed the consumer (its idle fetches fail), or it might still be read.
    await admin.deleteAcls({ filters: [topicRead] });
    await waitFor(
      'the supervisor to see the consumer stop',
      () => logs.some((l) => l.level === 'error' && /rebuilding it/.test(l.message)),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await send(2);
    expect(received.map((m) => m.value?.toString())).toEqual(['1']);

    await admin.createAcls({ acl: [topicRead] });
    await waitFor('the record sent while it could not read', () => received.length >= 2, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    await send(3);
    await waitFor('a record sent after the rebuild', () => received.length >= 3, { timeoutMs: 60_000 });
    // Every record once, in order: the rebuilt consumer resumed at the group's committed offset.
    expect(received.map((m) => m.value?.toString())).toEqual(['1', '2', '3']);
    expect(logs.filter((l) => /rebuilding it/.test(l.message)).length).toBeGreaterThanOrEqual(1);
  });
});
