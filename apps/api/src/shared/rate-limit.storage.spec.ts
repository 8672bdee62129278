import { ThrottlerStorageService } from '@nestjs/throttler';
import { SlidingWindowStorage } from './rate-limit.storage';

/** Request times (ms) and keys: bursts over the limit, blocks running out, windows expiring, two keys. */
const schedule: [number, string][] = [
  ...Array.from({ length: 6 }, (_, i): [number, string] => [i * 10, 'a']),
  [100, 'b'],
  [500, 'a'],
  [1_005, 'a'],
  [1_020, 'a'],
  [1_030, 'b'],
  [1_500, 'a'],
  [2_100, 'a'],
  [2_101, 'a'],
  [2_102, 'a'],
  [2_103, 'a'],
  [2_104, 'a'],
  [4_000, 'a'],
  [4_001, 'b'],
  ...Array.from({ length: 40 }, (_, i): [number, string] => [5_000 + i * 90, 'a']),
];

describe('SlidingWindowStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it.each([
    ['with a block duration', 1_000],
    ['without a block duration', 0],
  ])('answers every request as the library storage does (%s)', async (_case, blockDuration) => {
    const library = new ThrottlerStorageService();
    const ours = new SlidingWindowStorage(() => Date.now());
    const start = Date.now();
    const answers: [unknown, unknown][] = [];
    for (const [at, key] of schedule) {
      jest.setSystemTime(start + at);
      answers.push([
        await library.increment(key, 1_000, 3, blockDuration, 'ip'),
        await ours.increment(key, 1_000, 3, blockDuration, 'ip'),
      ]);
    }
    for (const [theirs, mine] of answers) expect(mine).toEqual(theirs);
    // The schedule exercises both outcomes.
    expect(answers.some(([, mine]) => (mine as { isBlocked: boolean }).isBlocked)).toBe(true);
    expect(answers.some(([, mine]) => !(mine as { isBlocked: boolean }).isBlocked)).toBe(true);
    library.onApplicationShutdown();
    ours.onApplicationShutdown();
  });

  it('keeps a long window cheap and exact: only the hits of the last ttl count', async () => {
    const storage = new SlidingWindowStorage(() => Date.now());
    const start = Date.now();
    let last = { totalHits: 0, isBlocked: false };
    for (let i = 0; i < 20_000; i += 1) {
      jest.setSystemTime(start + i); // one hit per ms, window 5 s: 5,000 live hits at most
      last = await storage.increment('k', 5_000, 1_000_000, 5_000, 'ip');
    }
    expect(last).toMatchObject({ totalHits: 5_000, isBlocked: false });
    storage.onApplicationShutdown();
  });

  it('forgets keys with nothing left in their window', async () => {
    const storage = new SlidingWindowStorage(() => Date.now());
    await storage.increment('gone', 1_000, 3, 1_000, 'ip');
    jest.setSystemTime(Date.now() + 500);
    await storage.increment('kept', 1_000, 3, 1_000, 'ip');
    jest.setSystemTime(Date.now() + 700);
    storage.sweep();
    expect(storage.size).toBe(1);
    storage.onApplicationShutdown();
  });
});
