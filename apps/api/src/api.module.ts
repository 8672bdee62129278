import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CandidatesModule } from './candidates/candidates.module';
import { domainProblems } from '@feedwerk/domain';
import { EventStoreModule } from '@feedwerk/event-store';
import {
  FEEDWERK_CONFIG,
  type FeedwerkConfig,
  provideDatabaseSchema,
  provideProblemMappings,
} from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { JobsReadModel, readModelSchema } from '@feedwerk/read-models';
import { transportSchema } from '@feedwerk/transport';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { PublishBlogPostController } from './blog-posts/publish-blog-post/publish-blog-post.controller';
import { PublishBlogPostHandler } from './blog-posts/publish-blog-post/publish-blog-post.handler';
import { EmployersQueryController } from './employers/queries/employers.controller';
import { RegisterEmployerController } from './employers/register-employer/register-employer.controller';
import { RegisterEmployerHandler } from './employers/register-employer/register-employer.handler';
import { CloseJobController } from './jobs/close-job/close-job.controller';
import { CloseJobHandler } from './jobs/close-job/close-job.handler';
import { ImportJobsController } from './jobs/import-jobs/import-jobs.controller';
import { ImportJobsHandler } from './jobs/import-jobs/import-jobs.handler';
import { PostJobController } from './jobs/post-job/post-job.controller';
import { PostJobHandler } from './jobs/post-job/post-job.handler';
import { JobsQueryController } from './jobs/queries/jobs.controller';
import { RefreshJobsController } from './jobs/refresh-jobs/refresh-jobs.controller';
import { RefreshJobsHandler } from './jobs/refresh-jobs/refresh-jobs.handler';
import { UpdateJobController } from './jobs/update-job/update-job.controller';
import { UpdateJobHandler } from './jobs/update-job/update-job.handler';
import { ContractController } from './contract/contract.controller';
import { DocsController } from './openapi/docs.controller';
import { AdminGuard } from '@feedwerk/platform';
import { ApiKeyGuard } from './shared/api-key.guard';
import { VerifiedApiKeys } from './shared/verified-api-keys';
import { CommandMetrics, CountCommand } from './shared/command-metrics';
import { IdempotencyPurger } from './shared/idempotency-purger';
import { RateLimitGuard, rateLimits } from './shared/rate-limit.guard';

/**
 * The command side (HTTP in, decisions by the pure domain, events appended to the store) and the
 * portal's read endpoints over the jobs read model that the projector keeps. It builds no message
 * transport: it only appends to the store (the outbox), so its start and readiness never depend on Kafka.
 */
@Module({
  imports: [
    EventStoreModule,
    CqrsModule.forRoot(),
    ThrottlerModule.forRootAsync({
      useFactory: (config: FeedwerkConfig) => rateLimits(config),
      inject: [FEEDWERK_CONFIG],
    }),
    CandidatesModule,
  ],
  // Static routes (/jobs/import, /jobs/refresh) are matched before /jobs/:jobId by Fastify's router.
  controllers: [
    RegisterEmployerController,
    EmployersQueryController,
    PostJobController,
    ImportJobsController,
    RefreshJobsController,
    UpdateJobController,
    CloseJobController,
    JobsQueryController,
    PublishBlogPostController,
    DocsController,
    ContractController,
  ],
  providers: [
    provideDatabaseSchema(privacySchema, readModelSchema, transportSchema),
    provideProblemMappings(domainProblems),
    RegisterEmployerHandler,
    PostJobHandler,
    ImportJobsHandler,
    RefreshJobsHandler,
    UpdateJobHandler,
    CloseJobHandler,
    PublishBlogPostHandler,
    { provide: JobsReadModel, useFactory: (db: DataSource) => new JobsReadModel(db), inject: [DataSource] },
    {
      provide: VerifiedApiKeys,
      useFactory: (db: DataSource, config: FeedwerkConfig) =>
        new VerifiedApiKeys(db, { ttlMs: config.API_KEY_CACHE_TTL_MS }),
      inject: [DataSource, FEEDWERK_CONFIG],
    },
    ApiKeyGuard,
    AdminGuard,
    RateLimitGuard,
    IdempotencyPurger,
    CountCommand,
    CommandMetrics,
  ],
})
export class ApiModule {}
