import { type PublicRecord } from '@feedwerk/contracts';
import { encodePublicRecord, PUBLIC_SOURCE } from '@feedwerk/transport';

const job: PublicRecord = {
  family: 'jobs',
  key: 'job:6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  type: 'JobClosed',
  version: 1,
  subject: 'job:6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  time: '2026-11-27T10:37:12.345Z',
  correlationId: 'req-1',
  causationId: 'cmd-1',
  data: { jobId: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11' },
};
const cv: PublicRecord = {
  ...job,
  family: 'candidates',
  key: 'portal:berlin',
  subject: 'portal:berlin',
  type: 'CvUploaded',
  time: '2026-11-27T10:00:00.000Z',
  correlationId: null,
  causationId: null,
  data: { portal: 'berlin' },
};
const now = new Date('2026-11-27T10:41:07.123Z');

describe('public record codec (CloudEvents binary mode)', () => {
  it('puts the payload in the value and every attribute in a ce_* header, keyed as mapped', () => {
    const message = encodePublicRecord(job, {}, now);
    expect(message.key).toBe(job.key);
    expect(JSON.parse(message.value)).toEqual(job.data);
    expect(message.headers).toEqual({
      ce_id: job.id,
      ce_type: 'JobClosed',
      ce_source: PUBLIC_SOURCE,
      ce_time: job.time,
      ce_specversion: '1.0',
      'content-type': 'application/json',
      ce_subject: job.subject,
      ce_schemaversion: '1',
      ce_correlationid: 'req-1',
      ce_causationid: 'cmd-1',
    });
    expect(message.timestamp).toBeUndefined();
  });

  it('sends candidate records without trace ids and with the hour as the broker timestamp', () => {
    const message = encodePublicRecord(cv, {}, now);
    expect(message.headers).not.toHaveProperty('ce_correlationid');
    expect(message.headers).not.toHaveProperty('ce_causationid');
    expect(message.timestamp).toBe(String(Date.parse('2026-11-27T10:00:00.000Z')));
  });

  it('adds extra headers (a republish marks itself) without dropping an attribute', () => {
    const message = encodePublicRecord(job, { 'x-feedwerk-replay': 'true' }, now);
    expect(message.headers).toMatchObject({ ce_id: job.id, 'x-feedwerk-replay': 'true' });
  });
});
