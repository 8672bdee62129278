import { TickerBox } from './box';
import { type TickerChange, type TickerItem } from './wire';

const item = (id: string, order: number, position = order, extra: Partial<TickerItem> = {}): TickerItem => ({
  id,
  kind: 'job.posted',
  icon: '➟',
  text: 'Neue Stellenanzeige eingestellt',
  detail: null,
  count: 1,
  order,
  position,
  at: '2026-11-27T10:00:00.000Z',
  ...extra,
});
const upsert = (i: TickerItem): TickerChange => ({ op: 'upsert', position: i.position, item: i });
const retract = (id: string, position: number): TickerChange => ({ op: 'retract', position, id });
const ids = (box: TickerBox, max = 10) => box.visible(max).map((i) => i.id);

describe('TickerBox', () => {
  it('shows a snapshot newest first by the order an item entered the feed', () => {
    const box = new TickerBox(10);
    box.replace([item('a', 1), item('c', 3), item('b', 2)], 3);
    expect(ids(box)).toEqual(['c', 'b', 'a']);
    expect(box.position).toBe(3);
  });

  it('applies changes in feed order and remembers the last position', () => {
    const box = new TickerBox(10);
    box.replace([item('a', 1)], 1);
    expect(box.apply(upsert(item('b', 2)))).toBe(true);
    expect(box.apply(upsert(item('c', 5)))).toBe(true);
    expect(ids(box)).toEqual(['c', 'b', 'a']);
    expect(box.position).toBe(5);
  });

  it('applies a change delivered twice only once', () => {
    const box = new TickerBox(10);
    box.replace([], 0);
    expect(box.apply(upsert(item('a', 1)))).toBe(true);
    expect(box.apply(upsert(item('a', 1)))).toBe(false);
    expect(box.apply(upsert(item('old', 1)))).toBe(false);
    expect(ids(box)).toEqual(['a']);
  });

  it('ignores changes until it has a snapshot to apply them to', () => {
    const box = new TickerBox(10);
    expect(box.apply(upsert(item('a', 1)))).toBe(false);
    expect(box.position).toBeNull();
  });

  it('updates an item in place: a grown burst keeps its place in the box', () => {
    const box = new TickerBox(10);
    box.replace([item('burst', 1, 1, { kind: 'jobs.burst', count: 2 }), item('b', 2)], 2);
    box.apply(
      upsert(item('burst', 1, 3, { kind: 'jobs.burst', count: 3, detail: '3 neue Stellenanzeigen' })),
    );
    expect(ids(box)).toEqual(['b', 'burst']);
    expect(box.visible(10)[1]).toMatchObject({ count: 3, detail: '3 neue Stellenanzeigen' });
  });

  it('withdraws a retracted item and fills its place from the reserve', () => {
    const box = new TickerBox(4);
    box.replace([item('a', 1), item('b', 2), item('c', 3), item('d', 4)], 4);
    expect(ids(box, 3)).toEqual(['d', 'c', 'b']);
    expect(box.apply(retract('c', 5))).toBe(true);
    expect(ids(box, 3)).toEqual(['d', 'b', 'a']);
    expect(box.position).toBe(5);
  });

  it('keeps at most its capacity, dropping the oldest', () => {
    const box = new TickerBox(3);
    box.replace([item('a', 1), item('b', 2), item('c', 3), item('d', 4)], 4);
    expect(ids(box)).toEqual(['d', 'c', 'b']);
    box.apply(upsert(item('e', 5)));
    expect(ids(box)).toEqual(['e', 'd', 'c']);
  });

  it('replaces everything on a new snapshot', () => {
    const box = new TickerBox(10);
    box.replace([item('a', 1), item('b', 2)], 2);
    box.replace([item('x', 7)], 9);
    expect(ids(box)).toEqual(['x']);
    expect(box.position).toBe(9);
  });

  it('advances to the head the server served, never backwards', () => {
    const box = new TickerBox(10);
    box.replace([], 4);
    box.advance(9);
    expect(box.position).toBe(9);
    box.advance(6);
    expect(box.position).toBe(9);
    expect(box.apply(upsert(item('a', 8)))).toBe(false);
  });
});
