import { type ApiRoute } from '../openapi/api-route';
import { commonCommandErrors, IdempotentHeaders, IfMatchHeader, readByIdErrors } from '../openapi/common';
import { JobIdParams, JobVersionResult } from '../shared/parse';
import { CloseJobBody } from './close-job/close-job.command';
import { ImportJobsBody, ImportJobsResult } from './import-jobs/import-jobs.command';
import { PostJobBody } from './post-job/post-job.command';
import { JobPage, JobViewSchema, ListJobsQuery } from './queries/jobs.queries';
import { RefreshJobsBody, RefreshJobsResult } from './refresh-jobs/refresh-jobs.command';
import { UpdateJobBody } from './update-job/update-job.command';

/** Every job command: the employer's, retried safely with an Idempotency-Key. */
const jobCommand = { tags: ['jobs'], auth: 'employer', headers: IdempotentHeaders } as const;

/** The answers of a command on one of the employer's own jobs, besides its own. */
const ownJobErrors = {
  ...commonCommandErrors,
  403: { description: 'The job belongs to another employer.' },
  404: { description: 'No such job.' },
  412: { description: 'If-Match names a stale version.' },
};

export const jobsRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/jobs',
    operationId: 'postJob',
    summary: 'Post a job (PostJob)',
    ...jobCommand,
    body: { kind: 'json', schema: PostJobBody },
    responses: { 201: { description: 'Posted.', schema: JobVersionResult }, ...commonCommandErrors },
  },
  {
    method: 'post',
    path: '/jobs/import',
    operationId: 'importJobs',
    summary: 'Import up to 500 jobs from a partner feed (ImportJobs, source=import)',
    description:
      'Each job becomes its own JobPosted in its own stream; all of them commit in one transaction, or none.',
    ...jobCommand,
    body: { kind: 'json', schema: ImportJobsBody },
    responses: { 201: { description: 'Imported.', schema: ImportJobsResult }, ...commonCommandErrors },
  },
  {
    method: 'post',
    path: '/jobs/refresh',
    operationId: 'refreshJobs',
    summary: 'Refresh up to 500 of your open jobs at once (RefreshJobs)',
    description:
      'Repeated ids count once. All or nothing: any unknown id → 404, any job of another employer → 403, any closed job → 409.',
    ...jobCommand,
    body: { kind: 'json', schema: RefreshJobsBody },
    responses: {
      200: { description: 'One JobsRefreshed was recorded.', schema: RefreshJobsResult },
      ...commonCommandErrors,
      403: { description: 'A listed job belongs to another employer.' },
      404: { description: 'A listed job does not exist.' },
      409: { description: 'A listed job is closed.' },
    },
  },
  {
    method: 'patch',
    path: '/jobs/{jobId}',
    operationId: 'updateJob',
    summary: 'Change fields of your open job (UpdateJob)',
    ...jobCommand,
    params: JobIdParams,
    headers: IdempotentHeaders.extend({ 'If-Match': IfMatchHeader }),
    body: { kind: 'json', schema: UpdateJobBody },
    responses: {
      200: { description: 'Updated; the new version is also the ETag.', schema: JobVersionResult },
      ...ownJobErrors,
      409: { description: 'The job is closed.' },
      428: { description: 'If-Match is missing.' },
    },
  },
  {
    method: 'post',
    path: '/jobs/{jobId}/close',
    operationId: 'closeJob',
    summary: 'Close your job (CloseJob)',
    ...jobCommand,
    params: JobIdParams,
    headers: IdempotentHeaders.extend({ 'If-Match': IfMatchHeader.optional() }),
    body: { kind: 'json', schema: CloseJobBody },
    responses: {
      200: { description: 'Closed.', schema: JobVersionResult },
      ...ownJobErrors,
      409: { description: 'The job is already closed.' },
    },
  },
  {
    method: 'get',
    path: '/jobs',
    operationId: 'listJobs',
    summary: 'Open jobs, newest first, with filters and cursor pagination (read model)',
    tags: ['jobs'],
    auth: 'none',
    query: ListJobsQuery,
    responses: {
      200: { description: 'One page.', schema: JobPage },
      400: { description: 'An invalid filter, limit or cursor.' },
      429: commonCommandErrors[429],
    },
  },
  {
    method: 'get',
    path: '/jobs/{jobId}',
    operationId: 'getJob',
    summary: 'One job in any status, with its version (read model)',
    tags: ['jobs'],
    auth: 'none',
    params: JobIdParams,
    responses: {
      200: { description: 'The job; ETag is its version.', schema: JobViewSchema },
      ...readByIdErrors('job'),
    },
  },
];
