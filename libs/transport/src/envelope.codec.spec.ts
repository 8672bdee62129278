import { type EventEnvelope } from '@feedwerk/contracts';
import {
  decodeEnvelope,
  encodeEnvelope,
  type IncomingMessage,
  UndecodableMessageError,
} from '@feedwerk/transport';

const event: EventEnvelope<string, unknown> = {
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  type: 'JobPosted',
  source: '/feedwerk/api',
  time: '2026-11-27T10:00:00.000Z',
  schemaVersion: 1,
  streamId: 'job:6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  streamPosition: 3,
  globalPosition: 42,
  correlationId: 'req-1',
  causationId: 'cmd-1',
  actor: { kind: 'employer', id: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22' },
  data: { title: 'Tischler (m/w/d)' },
};

const received = (overrides: Partial<IncomingMessage> = {}): IncomingMessage => {
  const message = encodeEnvelope(event);
  return {
    topic: 't',
    partition: 0,
    offset: '0',
    key: message.key,
    value: Buffer.from(message.value),
    headers: message.headers,
    ...overrides,
  };
};

describe('CloudEvents binary-mode codec', () => {
  it('puts the payload in the value, attributes in ce_* headers and the stream id in the key', () => {
    const message = encodeEnvelope(event);
    expect(message.key).toBe(event.streamId);
    expect(JSON.parse(message.value)).toEqual(event.data);
    expect(message.headers).toMatchObject({
      ce_id: event.id,
      ce_type: 'JobPosted',
      ce_source: '/feedwerk/api',
      ce_time: event.time,
      ce_specversion: '1.0',
      'content-type': 'application/json',
      ce_schemaversion: '1',
    });
  });

  it('decodes what it encodes', () => expect(decodeEnvelope(received())).toEqual(event));

  it.each([
    ['a tombstone', { value: null }],
    ['a value that is not JSON', { value: Buffer.from('{') }],
    ['a key that is not the subject', { key: 'job:other' }],
    ['a missing ce_type', { headers: { ...encodeEnvelope(event).headers, ce_type: undefined } }],
    [
      'a non-numeric stream position',
      { headers: { ...encodeEnvelope(event).headers, ce_streamposition: 'x' } },
    ],
    ['another CloudEvents version', { headers: { ...encodeEnvelope(event).headers, ce_specversion: '0.3' } }],
  ])('refuses %s as undecodable', (_what, overrides) => {
    expect(() => decodeEnvelope(received(overrides))).toThrow(UndecodableMessageError);
  });
});
