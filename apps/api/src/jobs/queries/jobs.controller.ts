import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { badField, parseRequestPart } from '@feedwerk/platform';
import { decodeCursor, JobsReadModel, type JobView } from '@feedwerk/read-models';
import { type FastifyReply } from 'fastify';
import { etagOf } from '../../shared/if-match';
import { notFound } from '../../shared/not-found';
import { JobIdParams } from '../../shared/parse';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import { ListJobsQuery } from './jobs.queries';

/** The portal's read side: served from the jobs read model (eventually consistent), never by folding streams. */
@Controller('jobs')
@UseGuards(RateLimitGuard)
export class JobsQueryController {
  constructor(private readonly jobs: JobsReadModel) {}

  /** GET /jobs?region&category&portal&employer&text&cursor&limit → open jobs, newest first. */
  @Get()
  async list(@Query() query: unknown): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const q = parseRequestPart(ListJobsQuery, query, 'query');
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) {
      throw badField(
        'the cursor is not one this service issued',
        'cursor',
        'must be a nextCursor from an earlier page',
      );
    }
    return this.jobs.list(
      { region: q.region, category: q.category, portal: q.portal, employerId: q.employer, text: q.text },
      { limit: q.limit, after },
    );
  }

  /** GET /jobs/:jobId → the job in any status, with its version (also as ETag). */
  @Get(':jobId')
  async get(@Param() params: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<JobView> {
    const { jobId } = parseRequestPart(JobIdParams, params, 'path');
    const job = await this.jobs.job(jobId);
    if (!job) throw notFound(`no such job: ${jobId}`, 'job.not-found');
    void reply.header('etag', etagOf(job.version));
    return job;
  }
}
