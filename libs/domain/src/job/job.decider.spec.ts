import { spec } from '@feedwerk/testing';
import { JobAlreadyPostedError, jobDecider, type JobEvent, type PostJob } from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const data = {
  jobId: '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11',
  employerId: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22',
  title: 'Pflegefachkraft (m/w/d)',
  description: 'Wir suchen Verstärkung für unser Team in Kreuzberg.',
  location: { city: 'Berlin', region: 'Berlin' as const, postcode: '10997' },
  category: 'pflege',
  employmentType: 'full-time' as const,
  portal: 'berlin',
  source: 'direct' as const,
  salary: null,
  remote: false,
};
const postJob = (): PostJob => ({ type: 'PostJob', data });
const jobPosted = (): JobEvent => ({ type: 'JobPosted', data });

describe('PostJob', () => {
  const given = spec(jobDecider).at(T0);

  it('posts a new job', () => given().when(postJob()).then([jobPosted()]));

  it('does not re-post a job that is already live', () =>
    given(jobPosted()).when(postJob()).thenThrows(JobAlreadyPostedError));
});
