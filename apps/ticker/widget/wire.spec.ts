import { renderedJobItem } from '@feedwerk/testing';
import { parseAck, parseChange, parseItem, parseResync } from './wire';

const valid = renderedJobItem();

describe('the widget reads only well-formed protocol messages', () => {
  it('accepts an item of protocol v1', () => {
    expect(parseItem(valid)).toMatchObject({ id: valid.id, text: valid.text, order: 4, position: 4 });
  });

  it.each([
    ['a text that is not a string', { text: { toString: () => '<b>' } }],
    ['a missing id', { id: undefined }],
    ['a fractional position', { position: 1.5 }],
    ['a negative order', { order: -1 }],
    ['an icon that is an object', { icon: { html: '<img>' } }],
  ])('drops an item with %s', (_, override) => {
    expect(parseItem({ ...valid, ...override })).toBeNull();
  });

  it('cuts overlong text instead of rendering it whole', () => {
    expect(parseItem({ ...valid, text: 'x'.repeat(10_000) })?.text).toHaveLength(300);
  });

  it('reads upserts and retracts, and nothing else', () => {
    expect(parseChange({ op: 'upsert', position: 5, item: valid })).toMatchObject({ op: 'upsert' });
    expect(parseChange({ op: 'retract', position: 6, id: valid.id })).toEqual({
      op: 'retract',
      position: 6,
      id: valid.id,
    });
    expect(parseChange({ op: 'delete-all', position: 7 })).toBeNull();
    expect(parseChange({ op: 'upsert', position: 'x', item: valid })).toBeNull();
  });

  it('reads both kinds of subscribe answer and a refusal', () => {
    expect(parseAck({ ok: true, mode: 'snapshot', items: [valid, { bad: 1 }], head: 9 })).toEqual({
      ok: true,
      mode: 'snapshot',
      items: [expect.objectContaining({ id: valid.id })],
      head: 9,
    });
    expect(parseAck({ ok: true, mode: 'changes', changes: [], head: 9 })).toMatchObject({ mode: 'changes' });
    expect(parseAck({ ok: false, error: 'portal: invalid' })).toEqual({
      ok: false,
      error: 'portal: invalid',
    });
    expect(parseAck({ ok: true, mode: 'snapshot', items: 'nope', head: 1 })).toBeNull();
    expect(parseAck(null)).toBeNull();
  });

  it('keeps the generation of an ack and a resync when it is one, and reads acks without it', () => {
    expect(parseAck({ ok: true, mode: 'snapshot', items: [valid], head: 4, generation: 3 })).toMatchObject({
      generation: 3,
    });
    expect(parseAck({ ok: true, mode: 'changes', changes: [], head: 4 })).toMatchObject({
      mode: 'changes',
      generation: undefined,
    });
    expect(parseAck({ ok: true, mode: 'snapshot', items: [], head: 4, generation: '3' })).toMatchObject({
      generation: undefined,
    });
    expect(parseResync({ reason: 'rebuilt', head: 2, generation: 2 })).toEqual({
      reason: 'rebuilt',
      generation: 2,
    });
    expect(parseResync('nonsense')).toEqual({ reason: 'unknown', generation: undefined });
  });
});
