import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type IncomingMessage, KafkaTransport } from '@feedwerk/transport';
import { kafkaBrokers, uniqueName, waitFor } from '@feedwerk/testing';
import { type Admin, AssignerProtocol, Kafka } from 'kafkajs';

/**
 * The other group member, in a process of its own so that SIGKILL ends it the way a crash does:
 * no LeaveGroup, no commit, just silence. It runs this lib's KafkaTransport from source (swc
 * compiles it on require), so it joins with the group timing under test.
 */
const MEMBER = `
// The sources as jest runs them: TypeScript through swc with the project's settings, and the
// @feedwerk/* aliases of tsconfig.json resolved to the libs' sources.
const { join } = require('node:path');
const Module = require('node:module');
const swcrc = JSON.parse(require('node:fs').readFileSync(join(process.env.REPO_ROOT, '.swcrc'), 'utf8'));
require.extensions['.ts'] = (module, file) =>
  module._compile(require('@swc/core').transformFileSync(file, { ...swcrc, swcrc: false, sourceMaps: false }).code, file);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@feedwerk\\/([a-z-]+)$/.exec(request);
  return resolve.call(this, lib ? join(process.env.REPO_ROOT, 'libs', lib[1], 'src/index.ts') : request, ...rest);
};
const { KafkaTransport } = require(process.env.TRANSPORT_SOURCE);
const transport = new KafkaTransport({
  brokers: process.env.KAFKA_BROKERS.split(','),
  clientId: 'doomed',
  topicPrefix: process.env.MEMBER_PREFIX,
});
transport
  .subscribe({ groupId: process.env.MEMBER_GROUP, topics: ['events'], fromBeginning: true, handle: async () => {} })
  .then(() => console.log('subscribed'), (error) => { console.error(error); process.exit(1); });
`;

const PARTITIONS = 4;

describe('Kafka transport: a crashed group member', () => {
  const prefix = `${uniqueName('crash')}.`;
  const groupId = 'crash-group';
  const transport = new KafkaTransport({
    brokers: kafkaBrokers(),
    clientId: 'survivor',
    topicPrefix: prefix,
  });
  let admin: Admin;
  let member: ChildProcess | undefined;

  beforeAll(async () => {
    await transport.ensureTopics([{ topic: 'events', partitions: PARTITIONS, replicationFactor: 1 }]);
    admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'observer' }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    member?.kill('SIGKILL');
    await admin.disconnect();
    await transport.close();
  });

  /** Who owns which partition of the topic, once the group is stable; undefined while it rebalances. */
  const owners = async () => {
    const [group] = (await admin.describeGroups([`${prefix}${groupId}`])).groups;
    if (group?.state !== 'Stable') return undefined;
    return group.members.map((m) => ({
      clientId: m.clientId,
      partitions:
        AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[`${prefix}events`] ?? [],
    }));
  };

  it("hands a killed member's partitions to the other member within 10 s", async () => {
    let output = '';
    member = spawn(process.execPath, ['-e', MEMBER], {
      env: {
        ...process.env,
        TRANSPORT_SOURCE: join(__dirname, 'kafka.transport.ts'),
        REPO_ROOT: join(__dirname, '../../..'),
        MEMBER_PREFIX: prefix,
        MEMBER_GROUP: groupId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    member.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    member.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the other member to subscribe', () => {
      if (member?.exitCode !== null) throw new Error(`the member exited:\n${output}`);
      return output.includes('subscribed');
    });

    const partitionsHandled = new Set<number>();
    const handle = (batch: readonly IncomingMessage[]) => {
      for (const message of batch) partitionsHandled.add(message.partition);
      return Promise.resolve();
    };
    const subscription = await transport.subscribe({
      groupId,
      topics: ['events'],
      fromBeginning: true,
      handle,
    });
    try {
      await waitFor(
        'both members to own partitions',
        async () => {
          const members = await owners();
          return members?.length === 2 && members.every((m) => m.partitions.length > 0);
        },
        { timeoutMs: 60_000 },
      );

      const killedAt = Date.now();
      member.kill('SIGKILL');
      const survivor = await waitFor(
        'the survivor to own every partition',
        async () => {
          const members = await owners();
          return members?.length === 1 && members[0]?.partitions.length === PARTITIONS && members[0];
        },
        { timeoutMs: 10_000 },
      );
      expect(survivor.clientId).toBe('survivor');
      expect(Date.now() - killedAt).toBeLessThan(10_000);

      // And it reads them: messages on every partition reach it.
      await transport.publish(
        'events',
        Array.from({ length: 64 }, (_, i) => ({ key: `key-${i}`, value: String(i), headers: {} })),
      );
      await waitFor(
        'the survivor to handle messages of every partition',
        () => partitionsHandled.size === PARTITIONS,
      );
    } finally {
      await subscription.stop();
    }
  });
});
