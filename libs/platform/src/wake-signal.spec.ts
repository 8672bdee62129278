import { WakeSignal } from '@feedwerk/platform';

const within = (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('WakeSignal', () => {
  it('ends a wait early when notified', async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(60_000);
    signal.notify();
    expect(await within(waiting, 1_000)).toBe(true);
  });

  it('remembers a notification that came while nobody waited', async () => {
    const signal = new WakeSignal();
    signal.notify();
    expect(await within(signal.wait(60_000), 1_000)).toBe(true);
    expect(await within(signal.wait(60_000), 50)).toBe(false);
    signal.close();
  });

  it('does not cut a back-off short on notify, only on close', async () => {
    const signal = new WakeSignal();
    const backoff = signal.wait(60_000, { wakeable: false });
    signal.notify();
    expect(await within(backoff, 50)).toBe(false);
    signal.close();
    expect(await within(backoff, 1_000)).toBe(true);
    expect(await within(signal.wait(60_000), 1_000)).toBe(true);
  });
});
