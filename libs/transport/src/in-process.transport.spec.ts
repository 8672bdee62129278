import { InProcessTransport, type IncomingMessage } from '@feedwerk/transport';

const message = (key: string, value: string) => ({ key, value, headers: { ce_id: value } });

describe('in-process transport', () => {
  it('resolves publish only after every subscribed group has handled the messages, in order', async () => {
    const transport = new InProcessTransport();
    const seen: Record<string, string[]> = { a: [], b: [] };
    for (const group of ['a', 'b']) {
      await transport.subscribe({
        groupId: group,
        topics: ['t'],
        fromBeginning: true,
        handle: async (batch) => {
          seen[group]!.push(...batch.map((m) => m.value!.toString()));
        },
      });
    }
    await transport.publish('t', [message('k', '1'), message('k', '2')]);
    await transport.publish('t', [message('k', '3')]);
    expect(seen).toEqual({ a: ['1', '2', '3'], b: ['1', '2', '3'] });
  });

  it('fails the publish when a handler fails, so the publisher keeps its place and retries', async () => {
    const transport = new InProcessTransport();
    let calls = 0;
    await transport.subscribe({
      groupId: 'g',
      topics: ['t'],
      fromBeginning: true,
      handle: async () => {
        calls += 1;
        if (calls === 1) throw new Error('database down');
      },
    });
    await expect(transport.publish('t', [message('k', '1')])).rejects.toThrow('database down');
    await expect(transport.publish('t', [message('k', '1')])).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('does not count a stopped group as delivered', async () => {
    const transport = new InProcessTransport();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    const handled: IncomingMessage[] = [];
    const subscription = await transport.subscribe({
      groupId: 'g',
      topics: ['t'],
      fromBeginning: true,
      handle: async (batch) => {
        started();
        await gate;
        handled.push(...batch);
      },
    });
    const first = transport.publish('t', [message('k', '1')]);
    const second = transport.publish('t', [message('k', '2')]).then(
      () => null,
      (error: unknown) => error,
    );
    await handling;
    const stopping = subscription.stop();
    release();
    await first;
    expect(String(await second)).toMatch(/consumer group g has stopped/);
    await stopping;
    expect(handled.map((m) => m.value!.toString())).toEqual(['1']);
  });
});
