import { ConsumerHealth } from './consumer-health';

describe('ConsumerHealth: whether a consumer group keeps up', () => {
  let now = 0;
  const health = () => {
    now = 1_000_000;
    const h = new ConsumerHealth(30_000, () => now);
    h.subscribed('projector.activity', ['feedwerk.events.jobs.v1']);
    return h;
  };
  const verdict = (h: ConsumerHealth) => h.verdicts()[0]!;

  it('keeps up after start, also with lag, until the stall time passes without a batch', () => {
    const h = health();
    h.lagged('projector.activity', 12);
    now += 30_000;
    expect(verdict(h)).toMatchObject({ keepingUp: true, lag: 12, reason: null });
    now += 1;
    expect(verdict(h)).toMatchObject({ keepingUp: false, lag: 12 });
    expect(verdict(h).reason).toMatch(/^12 messages behind and no batch handled for 30001 ms$/);
  });

  it('a handled batch is progress: lag with batches flowing is keeping up', () => {
    const h = health();
    h.lagged('projector.activity', 500);
    now += 25_000;
    h.handled('projector.activity', 42);
    now += 25_000;
    expect(verdict(h)).toMatchObject({ keepingUp: true, appliedPosition: 42 });
  });

  it('no lag is progress, however long no batch came', () => {
    const h = health();
    now += 120_000;
    h.lagged('projector.activity', 0);
    now += 29_000;
    expect(verdict(h).keepingUp).toBe(true);
  });

  it('failing batches count from the first failure; one success clears them', () => {
    const h = health();
    h.failed('projector.activity', new Error('connection refused'));
    now += 20_000;
    h.failed('projector.activity', new Error('connection refused'));
    now += 10_001;
    expect(verdict(h)).toMatchObject({ keepingUp: false, lastError: 'connection refused' });
    expect(verdict(h).reason).toContain('batches failing for 30001 ms');
    h.handled('projector.activity', null);
    expect(verdict(h)).toMatchObject({ keepingUp: true, failingSince: null, lastError: null });
  });

  it('an unknown lag (the broker does not answer) is not held against the group', () => {
    const h = health();
    h.lagged('projector.activity', 7);
    h.lagged('projector.activity', null);
    now += 60_000;
    expect(verdict(h)).toMatchObject({ keepingUp: true, lag: null });
  });

  it('the applied position only grows, and a stopped group is forgotten', () => {
    const h = health();
    h.handled('projector.activity', 10);
    h.handled('projector.activity', 4);
    expect(verdict(h).appliedPosition).toBe(10);
    h.stopped('projector.activity');
    expect(h.verdicts()).toEqual([]);
  });
});
