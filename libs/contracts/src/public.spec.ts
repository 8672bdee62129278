import { z } from 'zod';
import {
  eventCatalog,
  type EventType,
  type FeedEvent,
  publicEventCatalog,
  PublicTopics,
  toPublicRecord,
} from '@feedwerk/contracts';

const ids = {
  job: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  employer: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22',
  refresh: '2c9e8f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00',
  post: '3d0f9a1b-2c3d-4e5f-9a0b-1c2d3e4f5a6b',
  candidate: '4e1a0b2c-3d4e-4f5a-8b1c-2d3e4f5a6b7c',
  cv: '5f2b1c3d-4e5f-4a6b-9c2d-3e4f5a6b7c8d',
  key: '6a3c2d4e-5f6a-4b7c-8d3e-4f5a6b7c8d9e',
  receipt: '7b4d3e5f-6a7b-4c8d-9e4f-5a6b7c8d9e0f',
  action: '8c5e4f6a-7b8c-4d9e-8f5a-6b7c8d9e0f1a',
};
const sha256 = 'ab'.repeat(32);
const sealed = {
  alg: 'A256GCM',
  keyId: ids.key,
  iv: 'AAAAAAAAAAAAAAAA',
  ciphertext: 'c2VjcmV0LW5hbWUtYW5kLW1haWw=',
  tag: 'AAAAAAAAAAAAAAAAAAAAAA==',
} as const;

const envelope = <T extends EventType>(type: T, streamId: string, data: FeedEvent['data']): FeedEvent =>
  ({
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    type,
    source: '/feedwerk/api',
    time: '2026-11-27T10:37:12.345Z',
    schemaVersion: eventCatalog[type].version,
    streamId,
    streamPosition: 2,
    globalPosition: 42,
    correlationId: 'req-0123',
    causationId: 'cmd-0456',
    actor: { kind: 'employer', id: ids.employer },
    data,
  }) as FeedEvent;

const salary = { min: 40_000, max: 52_000, currency: 'EUR', period: 'year' } as const;
const location = { city: 'Berlin', region: 'Berlin', postcode: '10997' } as const;

/** One valid stored event of every type, as the store hands it to the relay. */
const events: Record<EventType, () => FeedEvent> = {
  JobPosted: () =>
    envelope('JobPosted', `job:${ids.job}`, {
      jobId: ids.job,
      employerId: ids.employer,
      title: 'Pflegefachkraft (m/w/d)',
      description: 'Ansprechpartnerin: Frau Erika Mustermann, erika@pflege.example.org',
      location,
      category: 'pflege',
      employmentType: 'full-time',
      portal: 'berlin',
      source: 'direct',
      salary,
      remote: false,
    }),
  JobUpdated: () =>
    envelope('JobUpdated', `job:${ids.job}`, {
      jobId: ids.job,
      employerId: ids.employer,
      portal: 'berlin',
      region: 'Berlin',
      category: 'pflege',
      changes: {
        title: 'Pflegefachkraft Nachtdienst (m/w/d)',
        description: 'Neue Ansprechpartnerin: Frau Erika Mustermann',
        salary,
        location,
      },
    }),
  JobClosed: () =>
    envelope('JobClosed', `job:${ids.job}`, {
      jobId: ids.job,
      employerId: ids.employer,
      portal: 'berlin',
      reason: 'filled',
    }),
  JobsRefreshed: () =>
    envelope('JobsRefreshed', `employer:${ids.employer}`, {
      refreshId: ids.refresh,
      employerId: ids.employer,
      jobIds: [ids.job],
      count: 1,
      portals: [{ portal: 'berlin', count: 1 }],
    }),
  EmployerRegistered: () =>
    envelope('EmployerRegistered', `employer:${ids.employer}`, {
      employerId: ids.employer,
      name: 'Erika Mustermann Pflegedienst',
      website: 'https://mustermann.example.org',
      city: 'Berlin',
    }),
  BlogPostPublished: () =>
    envelope('BlogPostPublished', 'blog:pflege-tipps', {
      postId: ids.post,
      slug: 'pflege-tipps',
      title: 'Fünf Tipps für die Bewerbung',
      teaser: 'Was Personalerinnen wirklich lesen, erklärt von Max Mustermann.',
      author: 'Max Mustermann',
      portal: null,
    }),
  CvUploaded: () =>
    envelope('CvUploaded', `candidate:${ids.candidate}`, {
      candidateId: ids.candidate,
      cvId: ids.cv,
      portal: 'berlin',
      file: { ref: `cv/${ids.cv}`, sha256, size: 1234, mediaType: 'application/pdf' },
      public: { headline: 'Erfahrene Pflegekraft aus Kreuzberg', region: 'Berlin', category: 'pflege' },
      personal: sealed,
    }),
  CandidateErased: () =>
    envelope('CandidateErased', `candidate:${ids.candidate}`, {
      candidateId: ids.candidate,
      receiptId: ids.receipt,
      cvFilesDeleted: 1,
      keysDeleted: 1,
    }),
  AdminActionRecorded: () =>
    envelope('AdminActionRecorded', `admin-action:${ids.action}`, {
      actionId: ids.action,
      action: 'history.exported',
      target: 'events',
      parameters: { reason: 'audit' },
    }),
};

const record = (type: EventType) => {
  const result = toPublicRecord(events[type]());
  if (!result) throw new Error(`${type} has no public record`);
  return result;
};
const text = (value: unknown) => JSON.stringify(value);

/** Adds an unknown field at every level of a plain JSON value. */
function withExtraFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withExtraFields);
  if (value === null || typeof value !== 'object') return value;
  return {
    ...Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withExtraFields(v)])),
    leakedField: 'LEAK-MARKER',
  };
}

describe('toPublicRecord, the one allow-list mapping to the public topics', () => {
  it('has a decision for every stored event type', () => {
    expect(Object.keys(events).sort()).toEqual(Object.keys(eventCatalog).sort());
  });

  it.each(Object.keys(publicEventCatalog) as (keyof typeof publicEventCatalog)[])(
    'maps %s to its public schema, version and topic family',
    (type) => {
      const result = record(type);
      const definition = publicEventCatalog[type];
      expect(result.type).toBe(type);
      expect(result.version).toBe(definition.version);
      expect(result.family).toBe(definition.family);
      expect(PublicTopics[result.family]).toMatch(/^feedwerk\.public\.[a-z]+\.v1$/);
      expect(definition.schema.safeParse(result.data).success).toBe(true);
      expect(result.id).toBe(events[type]().id);
    },
  );

  it('publishes nothing of an erasure or an admin action', () => {
    expect(toPublicRecord(events.CandidateErased())).toBeNull();
    expect(toPublicRecord(events.AdminActionRecorded())).toBeNull();
  });

  it.each(Object.keys(publicEventCatalog) as (keyof typeof publicEventCatalog)[])(
    'lets no unknown field of %s through, at any depth',
    (type) => {
      const event = events[type]();
      const tampered = { ...event, data: withExtraFields(event.data) } as FeedEvent;
      const result = toPublicRecord(tampered);
      expect(result).toEqual(record(type));
      expect(text(result)).not.toContain('LEAK');
    },
  );

  it('keys job, employer and content records by stream id and keeps their time and trace ids', () => {
    for (const type of ['JobPosted', 'JobsRefreshed', 'EmployerRegistered', 'BlogPostPublished'] as const) {
      const event = events[type]();
      expect(record(type)).toMatchObject({
        key: event.streamId,
        subject: event.streamId,
        time: event.time,
        correlationId: 'req-0123',
        causationId: 'cmd-0456',
      });
    }
  });

  it('carries no job description, not even an edited one, only that it changed', () => {
    expect(text(record('JobPosted'))).not.toContain('Mustermann');
    const updated = record('JobUpdated');
    expect(text(updated)).not.toContain('Mustermann');
    expect(updated.data).toMatchObject({
      changedFields: ['description', 'location', 'salary', 'title'],
      changes: { title: 'Pflegefachkraft Nachtdienst (m/w/d)', salary, location },
    });
    expect(updated.data).not.toHaveProperty('changes.description');
  });

  it('carries neither the company name nor its website (a sole trader is a person)', () => {
    expect(record('EmployerRegistered').data).toEqual({ employerId: ids.employer, city: 'Berlin' });
  });

  it('carries neither the blog post author nor the teaser', () => {
    const result = record('BlogPostPublished');
    expect(text(result)).not.toContain('Mustermann');
    expect(result.data).toEqual({
      postId: ids.post,
      slug: 'pflege-tipps',
      title: 'Fünf Tipps für die Bewerbung',
      portal: null,
    });
  });

  it('carries no job ids of a refresh, only counts', () => {
    expect(text(record('JobsRefreshed').data)).not.toContain(ids.job);
  });

  describe('CvUploaded', () => {
    const result = () => record('CvUploaded');

    it('carries only portal, region, category and media type', () => {
      expect(result().data).toEqual({
        portal: 'berlin',
        region: 'Berlin',
        category: 'pflege',
        mediaType: 'application/pdf',
      });
    });

    it('carries no candidate id, CV id, file reference, hash, sealed data or headline anywhere', () => {
      const all = text(result());
      for (const secret of [
        ids.candidate,
        ids.cv,
        `cv/${ids.cv}`,
        sha256,
        ids.key,
        sealed.ciphertext,
        sealed.iv,
        sealed.tag,
        'Kreuzberg',
        'candidate:',
      ]) {
        expect([secret, all.includes(secret)]).toEqual([secret, false]);
      }
    });

    it('is keyed by portal, truncated to the hour and untraced', () => {
      expect(result()).toMatchObject({
        key: 'portal:berlin',
        subject: 'portal:berlin',
        time: '2026-11-27T10:00:00.000Z',
        correlationId: null,
        causationId: null,
      });
    });
  });

  it('exports every public schema as a closed JSON Schema (unknown fields invalid for consumers too)', () => {
    for (const definition of Object.values(publicEventCatalog)) {
      const schema = z.toJSONSchema(definition.schema) as { additionalProperties?: unknown };
      expect([definition.type, schema.additionalProperties]).toEqual([definition.type, false]);
    }
  });
});
