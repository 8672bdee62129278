import { InProcessTransport, type MessageTransport } from '@feedwerk/transport';
import { testKafkaTransport, uniqueName, waitFor } from '@feedwerk/testing';

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i % 3}`, value: String(i), headers: {} }));

/**
 * `consumerLags`, which /metrics and readiness use: messages on the group's topics not yet handled,
 * by both adapters alike.
 */
describe.each([
  ['Kafka (a real broker)', () => testKafkaTransport('lag-test')],
  ['in-process', () => new InProcessTransport()],
] as const)('consumer lag on %s', (_name, create) => {
  let transport: MessageTransport;

  beforeAll(async () => {
    transport = create();
    await transport.ensureTopics([{ topic: 'events', partitions: 2, replicationFactor: 1 }]);
  });
  afterAll(() => transport.close());

  it('is 0 once a group handled everything, counts what arrives while it is stopped, and drains after', async () => {
    const group = uniqueName('group-');
    let handled = 0;
    const subscribe = () =>
      transport.subscribe({
        groupId: group,
        topics: ['events'],
        fromBeginning: true,
        handle: async (batch) => {
          handled += batch.length;
        },
      });
    let subscription = await subscribe();
    await transport.publish('events', messages(6));
    await waitFor('six handled', () => handled === 6, { timeoutMs: 60_000 });
    expect(
      await waitFor(
        'a lag of 0',
        async () => ((await transport.consumerLags(['events'], [group])).get(group) === 0 ? 0 : undefined),
        {
          timeoutMs: 30_000,
          intervalMs: 200,
        },
      ),
    ).toBe(0);

    await subscription.stop();
    if (transport.kind === 'in-process') {
      // In-process groups exist only while subscribed (nothing is kept for them): no lag to report.
      expect((await transport.consumerLags(['events'], [group])).has(group)).toBe(false);
      return;
    }
    await transport.publish('events', messages(4));
    expect((await transport.consumerLags(['events'], [group])).get(group)).toBe(4);
    // A group without live members is not one of the deployment's groups.
    expect((await transport.consumerLags(['events'])).has(group)).toBe(false);

    subscription = await subscribe();
    await waitFor('ten handled', () => handled === 10, { timeoutMs: 60_000 });
    await waitFor(
      'the lag to drain',
      async () => (await transport.consumerLags(['events'], [group])).get(group) === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    expect((await transport.consumerLags(['events'])).get(group)).toBe(0);
    await subscription.stop();
  }, 120_000);
});

describe('consumer lag on the in-process transport', () => {
  it('counts a batch as lag while its handler runs', async () => {
    const transport = new InProcessTransport();
    const group = uniqueName('slow-');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const subscription = await transport.subscribe({
      groupId: group,
      topics: ['events'],
      fromBeginning: false,
      handle: () => gate,
    });
    const publishing = transport.publish('events', messages(3));
    expect((await transport.consumerLags(['events'], [group])).get(group)).toBe(3);
    release();
    await publishing;
    expect((await transport.consumerLags(['events'], [group])).get(group)).toBe(0);
    await subscription.stop();
  });
});
