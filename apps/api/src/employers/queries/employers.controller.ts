import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { type EmployerView, JobsReadModel } from '@feedwerk/read-models';
import { parseRequestPart } from '@feedwerk/platform';
import { z } from 'zod';
import { notFound } from '../../shared/not-found';
import { RateLimitGuard } from '../../shared/rate-limit.guard';

export const EmployerIdParams = z.strictObject({
  employerId: z.uuid({ message: 'must be an employer id (UUID)' }),
});

export const EmployerViewSchema = z.strictObject({
  employerId: z.uuid(),
  name: z.string(),
  website: z.url(),
  city: z.string(),
  registeredAt: z.iso.datetime(),
  openJobs: z.number().int().min(0),
  lastRefreshAt: z.iso.datetime().nullable(),
});

@Controller('employers')
@UseGuards(RateLimitGuard)
export class EmployersQueryController {
  constructor(private readonly jobs: JobsReadModel) {}

  /** GET /employers/:employerId → the employer's public profile and its number of open jobs. */
  @Get(':employerId')
  async get(@Param() params: unknown): Promise<EmployerView> {
    const { employerId } = parseRequestPart(EmployerIdParams, params, 'path');
    const employer = await this.jobs.employer(employerId);
    if (!employer) throw notFound(`no such employer: ${employerId}`, 'employer.not-found');
    return employer;
  }
}
