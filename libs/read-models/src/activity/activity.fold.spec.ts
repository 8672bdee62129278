import { type FeedEvent } from '@feedwerk/contracts';
import { activityOf } from '@feedwerk/read-models';

const envelope = <T extends FeedEvent>(type: T['type'], data: T['data']) =>
  ({
    id: '00000000-0000-4000-8000-000000000001',
    type,
    source: '/test',
    time: '2026-11-27T10:00:00.000Z',
    schemaVersion: 1,
    streamId: 'job:1',
    streamPosition: 1,
    globalPosition: 1,
    correlationId: 'c',
    causationId: null,
    actor: { kind: 'system', id: null },
    data,
  }) as T;

const job = {
  jobId: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  employerId: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22',
  title: 'Koch (m/w/d)',
  description: 'Frische Küche in Friedrichshain.',
  location: { city: 'Berlin', region: 'Berlin' as const, postcode: '10245' },
  category: 'gastronomie',
  employmentType: 'full-time' as const,
  portal: 'berlin',
  source: 'direct' as const,
  salary: null,
  remote: false,
};

describe('activity fold', () => {
  it('shows a directly posted job as "new job ad" on its portal, with region and category', () => {
    expect(activityOf(envelope('JobPosted', job))).toEqual({
      kind: 'job.posted',
      portal: 'berlin',
      region: 'Berlin',
      category: 'gastronomie',
      count: 1,
    });
  });

  it('shows an imported job as "a new job ad" from a partner feed', () => {
    expect(activityOf(envelope('JobPosted', { ...job, source: 'import' }))?.kind).toBe('job.imported');
  });

  it('shows an employer sign-up on every portal and copies nothing about the company', () => {
    const draft = activityOf(
      envelope('EmployerRegistered', {
        employerId: job.employerId,
        name: 'Geheim GmbH',
        website: 'https://example.org',
        city: 'Berlin',
      }),
    );
    expect(draft).toEqual({
      kind: 'employer.registered',
      portal: null,
      region: null,
      category: null,
      count: 1,
    });
    expect(JSON.stringify(draft)).not.toContain('Geheim');
  });
});
