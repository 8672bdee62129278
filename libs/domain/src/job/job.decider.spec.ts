import { spec } from '@feedwerk/testing';
import {
  decideImport,
  InvalidImportError,
  JobAlreadyPostedError,
  JobClosedError,
  jobDecider,
  type JobCommand,
  type JobEvent,
  JobNotFoundError,
  NothingToChangeError,
  NotYourJobError,
  type PostJob,
} from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const jobId = '6a0f3a4e-5d34-4c1c-9a53-1b0e0c7f3b11';
const employerId = '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22';
const otherEmployer = '9d2b8f3e-1111-4c1c-9a53-1b0e0c7f3b11';
const data = {
  jobId,
  employerId,
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
const update = (changes: Record<string, unknown>, by = employerId): JobCommand => ({
  type: 'UpdateJob',
  data: { jobId, employerId: by, changes },
});
const close = (by = employerId): JobCommand => ({
  type: 'CloseJob',
  data: { jobId, employerId: by, reason: 'filled' },
});
const jobClosed = (): JobEvent => ({
  type: 'JobClosed',
  data: { jobId, employerId, portal: 'berlin', reason: 'filled' },
});
const jobUpdated = (
  changes: Record<string, unknown>,
  after: { region?: 'Berlin' | 'Bayern'; category?: string } = {},
): JobEvent => ({
  type: 'JobUpdated',
  data: {
    jobId,
    employerId,
    portal: 'berlin',
    region: after.region ?? 'Berlin',
    category: after.category ?? 'pflege',
    changes,
  },
});

describe('PostJob', () => {
  const given = spec(jobDecider).at(T0);

  it('posts a new job', () => given().when(postJob()).then([jobPosted()]));

  it('does not re-post a job that is already live', () =>
    given(jobPosted()).when(postJob()).thenThrows(JobAlreadyPostedError));
});

describe('UpdateJob', () => {
  const given = spec(jobDecider).at(T0);

  it('records only the fields that change, with the region and category after the change', () =>
    given(jobPosted())
      .when(
        update({
          title: 'Pflegefachkraft (m/w/d) – Nachtdienst',
          location: { city: 'München', region: 'Bayern', postcode: '80331' },
          category: 'pflege',
        }),
      )
      .then([
        jobUpdated(
          {
            title: 'Pflegefachkraft (m/w/d) – Nachtdienst',
            location: { city: 'München', region: 'Bayern', postcode: '80331' },
          },
          { region: 'Bayern' },
        ),
      ]));

  it('refuses an update that changes nothing', () =>
    given(jobPosted())
      .when(update({ title: data.title, salary: null }))
      .thenThrows(NothingToChangeError));

  it('compares against the job as updated, not as first posted', () =>
    given(jobPosted(), jobUpdated({ remote: true }))
      .when(update({ remote: true }))
      .thenThrows(NothingToChangeError));

  it('refuses to update a closed job', () =>
    given(jobPosted(), jobClosed())
      .when(update({ remote: true }))
      .thenThrows(JobClosedError));

  it("refuses another employer's job", () =>
    given(jobPosted())
      .when(update({ remote: true }, otherEmployer))
      .thenThrows(NotYourJobError));

  it('refuses a job that does not exist', () =>
    given()
      .when(update({ remote: true }))
      .thenThrows(JobNotFoundError));
});

describe('CloseJob', () => {
  const given = spec(jobDecider).at(T0);

  it('closes an open job with its reason', () => given(jobPosted()).when(close()).then([jobClosed()]));

  it('closes an updated job on its portal', () =>
    given(jobPosted(), jobUpdated({ remote: true }))
      .when(close())
      .then([jobClosed()]));

  it('refuses to close a job twice', () =>
    given(jobPosted(), jobClosed()).when(close()).thenThrows(JobClosedError));

  it("refuses to close another employer's job", () =>
    given(jobPosted()).when(close(otherEmployer)).thenThrows(NotYourJobError));

  it('refuses a job that does not exist', () => given().when(close()).thenThrows(JobNotFoundError));
});

describe('ImportJobs', () => {
  const imported = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...data,
      source: 'import' as const,
      jobId: `6a0f3a4e-5d34-4c1c-9a53-${String(i).padStart(12, '0')}`,
    }));

  it('posts every imported job in its own stream as source=import', () => {
    const decided = decideImport(imported(3), { now: T0 });
    expect(decided.map((d) => d.jobId)).toEqual(imported(3).map((j) => j.jobId));
    expect(decided.map((d) => [d.event.type, (d.event.data as { source: string }).source])).toEqual([
      ['JobPosted', 'import'],
      ['JobPosted', 'import'],
      ['JobPosted', 'import'],
    ]);
  });

  it('takes 500 jobs but refuses 501 or none', () => {
    expect(decideImport(imported(500), { now: T0 })).toHaveLength(500);
    expect(() => decideImport(imported(501), { now: T0 })).toThrow(InvalidImportError);
    expect(() => decideImport([], { now: T0 })).toThrow(InvalidImportError);
  });

  it('refuses a repeated job id and a job that is not an import', () => {
    const [a] = imported(1);
    expect(() => decideImport([a!, a!], { now: T0 })).toThrow(InvalidImportError);
    expect(() => decideImport([{ ...a!, source: 'direct' }], { now: T0 })).toThrow(InvalidImportError);
  });
});
