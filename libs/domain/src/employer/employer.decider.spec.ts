import { spec } from '@feedwerk/testing';
import {
  EmployerAlreadyRegisteredError,
  employerDecider,
  type EmployerCommand,
  type EmployerEvent,
  EmployerNotRegisteredError,
  JobClosedError,
  JobNotFoundError,
  type JobState,
  NotYourJobError,
  RefreshSizeError,
  type RegisterEmployer,
} from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const employerId = '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22';
const refreshId = '5e1f0000-0000-4000-8000-000000000001';
const data = {
  employerId,
  name: 'Charité Pflege GmbH',
  website: 'https://example.org',
  city: 'Berlin',
};
const register = (): RegisterEmployer => ({ type: 'RegisterEmployer', data });
const registered = (): EmployerEvent => ({ type: 'EmployerRegistered', data });

const id = (n: number) => `6a0f3a4e-5d34-4c1c-9a53-${String(n).padStart(12, '0')}`;
const open = (n: number, portal = 'berlin', owner = employerId): [string, JobState] => [
  id(n),
  {
    status: 'open',
    jobId: id(n),
    employerId: owner,
    job: {
      jobId: id(n),
      employerId: owner,
      title: 'Pflegefachkraft (m/w/d)',
      description: 'Wir suchen Verstärkung für unser Team.',
      location: { city: 'Berlin', region: 'Berlin', postcode: '10997' },
      category: 'pflege',
      employmentType: 'full-time',
      portal,
      source: 'direct',
      salary: null,
      remote: false,
    },
  },
];
const closed = (n: number): [string, JobState] => [
  id(n),
  { status: 'closed', jobId: id(n), employerId, portal: 'berlin' },
];
const refresh = (jobIds: string[], jobs: [string, JobState][]): EmployerCommand => ({
  type: 'RefreshJobs',
  data: { refreshId, employerId, jobIds, jobs: new Map(jobs) },
});

describe('RegisterEmployer', () => {
  const given = spec(employerDecider).at(T0);

  it('registers a new employer', () => given().when(register()).then([registered()]));

  it('refuses to register the same employer twice', () =>
    given(registered()).when(register()).thenThrows(EmployerAlreadyRegisteredError));
});

describe('RefreshJobs', () => {
  const given = spec(employerDecider).at(T0);

  it('records one event with the count, split by portal', () =>
    given(registered())
      .when(refresh([id(1), id(2), id(3)], [open(1), open(2, 'hamburg'), open(3)]))
      .then([
        {
          type: 'JobsRefreshed',
          data: {
            refreshId,
            employerId,
            jobIds: [id(1), id(2), id(3)],
            count: 3,
            portals: [
              { portal: 'berlin', count: 2 },
              { portal: 'hamburg', count: 1 },
            ],
          },
        },
      ]));

  it('refreshes a repeated id once', () =>
    given(registered())
      .when(refresh([id(1), id(1), id(1)], [open(1)]))
      .then([
        {
          type: 'JobsRefreshed',
          data: {
            refreshId,
            employerId,
            jobIds: [id(1)],
            count: 1,
            portals: [{ portal: 'berlin', count: 1 }],
          },
        },
      ]));

  it('takes 500 distinct jobs but not 501', () => {
    const jobs = Array.from({ length: 501 }, (_, i) => open(i));
    given(registered())
      .when(
        refresh(
          jobs.slice(0, 500).map(([j]) => j),
          jobs,
        ),
      )
      .then([
        {
          type: 'JobsRefreshed',
          data: {
            refreshId,
            employerId,
            jobIds: jobs.slice(0, 500).map(([j]) => j),
            count: 500,
            portals: [{ portal: 'berlin', count: 500 }],
          },
        },
      ]);
    given(registered())
      .when(
        refresh(
          jobs.map(([j]) => j),
          jobs,
        ),
      )
      .thenThrows(RefreshSizeError);
  });

  it('refuses an empty list', () => given(registered()).when(refresh([], [])).thenThrows(RefreshSizeError));

  it('refuses the whole batch when one id is unknown', () =>
    given(registered())
      .when(refresh([id(1), id(9)], [open(1)]))
      .thenThrows(JobNotFoundError));

  it("refuses the whole batch when one job is another employer's", () =>
    given(registered())
      .when(refresh([id(1), id(2)], [open(1), open(2, 'berlin', '9d2b8f3e-1111-4c1c-9a53-1b0e0c7f3b11')]))
      .thenThrows(NotYourJobError));

  it('refuses the whole batch when one job is closed', () =>
    given(registered())
      .when(refresh([id(1), id(2)], [open(1), closed(2)]))
      .thenThrows(JobClosedError));

  it('refuses an employer that is not registered', () =>
    given()
      .when(refresh([id(1)], [open(1)]))
      .thenThrows(EmployerNotRegisteredError));
});
