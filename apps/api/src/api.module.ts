import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CandidatesModule } from './candidates/candidates.module';
import { RegisterEmployerController } from './employers/register-employer/register-employer.controller';
import { RegisterEmployerHandler } from './employers/register-employer/register-employer.handler';
import { PostJobController } from './jobs/post-job/post-job.controller';
import { PostJobHandler } from './jobs/post-job/post-job.handler';
import { ApiKeyGuard } from './shared/api-key.guard';

/** The command side: HTTP in, decisions by the pure domain, events appended to the store. */
@Module({
  imports: [CqrsModule.forRoot(), CandidatesModule],
  controllers: [RegisterEmployerController, PostJobController],
  providers: [RegisterEmployerHandler, PostJobHandler, ApiKeyGuard],
})
export class ApiModule {}
