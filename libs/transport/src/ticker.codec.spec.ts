import {
  KafkaHeaders,
  TICKER_CHANGE_TYPE,
  TICKER_GENERATION_TYPE,
  type TickerChangeRecord,
} from '@feedwerk/contracts';
import { encodePublicActivityChange } from './public.codec';
import { decodeTickerRecord, encodeTickerChange, encodeTickerGenerationMarker } from './ticker.codec';
import { type IncomingMessage, type OutgoingMessage } from './transport.port';

const change: TickerChangeRecord = {
  op: 'upsert',
  position: 7,
  previousKind: null,
  item: {
    id: '0b5c9a3e-51b5-4d5c-9a43-9d3f3c1e2b7a',
    kind: 'job.posted',
    count: 1,
    portal: 'berlin',
    region: 'Berlin',
    category: 'pflege',
    order: 7,
    position: 7,
    at: '2026-11-27T10:00:00.000Z',
  },
};

const incoming = (message: OutgoingMessage): IncomingMessage => ({
  topic: 'feedwerk.ticker-changes.v1',
  partition: 0,
  offset: '0',
  key: message.key,
  value: Buffer.from(message.value),
  headers: message.headers,
});

describe('ticker-changes records', () => {
  it('tags a change with its generation and reads it back', () => {
    const message = encodeTickerChange(change, 3);
    expect(message.headers).toMatchObject({
      [KafkaHeaders.type]: TICKER_CHANGE_TYPE,
      ce_feedgeneration: '3',
      ce_feedposition: '7',
      [KafkaHeaders.id]: `${change.item.id}@3:7`,
    });
    expect(decodeTickerRecord(incoming(message))).toEqual({ kind: 'change', generation: 3, change });
  });

  it('reads a change without a generation header (published before generations) as generation 1', () => {
    const message = { key: 'feed', value: JSON.stringify(change), headers: {} };
    expect(decodeTickerRecord(incoming(message))).toEqual({ kind: 'change', generation: 1, change });
  });

  it('writes a marker on the same key as the changes, with its own type', () => {
    const message = encodeTickerGenerationMarker({ generation: 2, head: 40 });
    expect(message.key).toBe(encodeTickerChange(change, 1).key);
    expect(message.headers[KafkaHeaders.type]).toBe(TICKER_GENERATION_TYPE);
    expect(decodeTickerRecord(incoming(message))).toEqual({
      kind: 'marker',
      marker: { generation: 2, head: 40 },
    });
  });

  it('refuses what is neither', () => {
    const marker = encodeTickerGenerationMarker({ generation: 2, head: 40 });
    expect(() => decodeTickerRecord(incoming({ ...marker, value: '{"generation":0,"head":1}' }))).toThrow();
    expect(() =>
      decodeTickerRecord(incoming({ ...encodeTickerChange(change, 1), headers: { ce_feedgeneration: 'x' } })),
    ).toThrow(/ce_feedgeneration/);
    expect(() =>
      decodeTickerRecord(incoming({ key: 'feed', value: '{"op":"upsert"}', headers: {} })),
    ).toThrow();
  });
});

describe('public activity records', () => {
  const publicChange = {
    generation: 2,
    position: 7,
    op: 'upsert' as const,
    item: {
      id: change.item.id,
      kind: change.item.kind,
      count: 1,
      portal: 'berlin',
      region: 'Berlin' as const,
      category: 'pflege',
      order: 7,
      at: change.item.at,
    },
  };

  it('are CloudEvents in binary mode, keyed by the item, traced when a trace is given', () => {
    const message = encodePublicActivityChange(publicChange, {
      correlationId: 'req-1',
      causationId: 'event-1',
    });
    expect(message.key).toBe(change.item.id);
    expect(JSON.parse(message.value)).toEqual(publicChange);
    expect(message.headers).toEqual({
      ce_id: '2:7',
      ce_type: 'ActivityItemChanged',
      ce_source: '/feedwerk/public',
      ce_time: change.item.at,
      ce_specversion: '1.0',
      'content-type': 'application/json',
      ce_subject: `activity-item:${change.item.id}`,
      ce_schemaversion: '1',
      ce_correlationid: 'req-1',
      ce_causationid: 'event-1',
    });
    const untraced = encodePublicActivityChange(publicChange, { correlationId: null, causationId: null });
    expect(untraced.headers).not.toHaveProperty('ce_correlationid');
    expect(untraced.headers).not.toHaveProperty('ce_causationid');
  });

  it('carry only the public schema: a field beyond it fails loudly instead of leaking', () => {
    const leaky = { ...publicChange, item: { ...publicChange.item, headline: 'Pflegefachkraft, 52' } };
    expect(() => encodePublicActivityChange(leaky, { correlationId: null, causationId: null })).toThrow();
  });
});
