import { exponentialBackoff, PollingLoop } from '@feedwerk/platform';

/** Lets every promise callback and setImmediate that is due run (timers are fake: none elapses). */
const flush = async () => {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

const deferred = () => {
  let resolve!: (more: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
};

const more = () => Promise.resolve(true);
const none = () => Promise.resolve(false);
const fail = () => Promise.reject(new Error('broker down'));

describe('PollingLoop', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  /** A loop whose steps are `results` in turn (then "nothing to do"), keeping its warnings. */
  class TestLoop extends PollingLoop {
    calls = 0;
    readonly warnings: string[] = [];

    constructor(
      private readonly results: ((loop: TestLoop) => Promise<boolean>)[],
      backoff?: (failures: number) => number,
    ) {
      super({ name: 'TestLoop', task: 'test loop', idleMs: 60_000, backoff });
      jest.spyOn(this.log, 'warn').mockImplementation((message: unknown) => {
        this.warnings.push(String(message));
      });
    }

    protected step(): Promise<boolean> {
      this.calls += 1;
      return (this.results.shift() ?? none)(this);
    }

    pauseInStep(ms: number): Promise<void> {
      return this.pause(ms);
    }
  }

  /** A started loop, after it ran what it could without a timer. */
  const started = async (...args: ConstructorParameters<typeof TestLoop>) => {
    const loop = new TestLoop(...args);
    loop.onApplicationBootstrap();
    await flush();
    return loop;
  };

  it('runs the step again at once while there is more, then waits for a wake-up or the poll interval', async () => {
    const loop = await started([more, more, none]);
    expect(loop.calls).toBe(3);
    await flush();
    expect(loop.calls).toBe(3);
    loop.wakeUp();
    await flush();
    expect(loop.calls).toBe(4);
    await jest.advanceTimersByTimeAsync(60_000);
    await flush();
    expect(loop.calls).toBe(5);
    await loop.onModuleDestroy();
  });

  it('does not lose a wake-up that arrives while a step runs', async () => {
    const step = deferred();
    const loop = await started([() => step.promise]);
    loop.wakeUp();
    step.resolve(false);
    await flush();
    expect(loop.calls).toBe(2);
    await loop.onModuleDestroy();
  });

  it('backs off after a failure, logs the attempt, and is not woken early (the wake-up is kept for later); a success resets the count', async () => {
    const loop = await started([fail, fail, none, fail], (n) => n * 1_000);
    expect(loop.calls).toBe(1);
    expect(loop.warnings).toEqual(['test loop failed (attempt 1), retrying in 1000 ms: Error: broker down']);
    loop.wakeUp();
    await flush();
    expect(loop.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(loop.calls).toBe(2);
    // The third step finds nothing; the wake-up that came during the back-off was kept, so the
    // fourth follows at once, and its failure counts from one again.
    await jest.advanceTimersByTimeAsync(2_000);
    await flush();
    expect(loop.calls).toBe(4);
    expect(loop.warnings.at(-1)).toBe(
      'test loop failed (attempt 1), retrying in 1000 ms: Error: broker down',
    );
    await loop.onModuleDestroy();
  });

  it('stops only after the step in flight has finished, and runs no step after it', async () => {
    const step = deferred();
    const loop = await started([() => step.promise]);
    let stopped = false;
    const stopping = loop.onModuleDestroy().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    expect(loop.running).toBe(false);
    step.resolve(true);
    await stopping;
    expect(loop.calls).toBe(1);
  });

  it("ends a step's pause, and any wait, when stopped", async () => {
    const idle = await started([]);
    const paused = await started([
      async (loop) => {
        await loop.pauseInStep(60_000);
        return true;
      },
    ]);
    await Promise.all([idle.onModuleDestroy(), paused.onModuleDestroy()]);
    expect(paused.calls).toBe(1);
  });
});

describe('exponentialBackoff', () => {
  it('doubles from 200 ms up to its cap, and jitter only shortens a wait to at least half', () => {
    const plain = exponentialBackoff();
    expect([1, 2, 3, 6, 7, 20].map(plain)).toEqual([200, 400, 800, 6_400, 10_000, 10_000]);
    const jittered = exponentialBackoff({ jitter: true, maxMs: 1_000 });
    for (let n = 1; n < 10; n += 1) {
      expect(jittered(n)).toBeGreaterThanOrEqual(plain(n) > 1_000 ? 500 : plain(n) / 2);
      expect(jittered(n)).toBeLessThanOrEqual(Math.min(1_000, plain(n)));
    }
  });
});
