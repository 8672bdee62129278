import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { FeedwerkMetrics, toProblem } from '@feedwerk/platform';
import { catchError, type Observable, tap, throwError } from 'rxjs';
import { PublishBlogPostController } from '../blog-posts/publish-blog-post/publish-blog-post.controller';
import { EraseCandidateController } from '../candidates/erase-candidate/erase-candidate.controller';
import { UploadCvController } from '../candidates/upload-cv/upload-cv.controller';
import { RegisterEmployerController } from '../employers/register-employer/register-employer.controller';
import { CloseJobController } from '../jobs/close-job/close-job.controller';
import { ImportJobsController } from '../jobs/import-jobs/import-jobs.controller';
import { PostJobController } from '../jobs/post-job/post-job.controller';
import { RefreshJobsController } from '../jobs/refresh-jobs/refresh-jobs.controller';
import { UpdateJobController } from '../jobs/update-job/update-job.controller';

/** One controller per command (vertical slices): the controller's name is the command's type. */
const COMMANDS = new Map<Type<unknown>, string>(
  [
    RegisterEmployerController,
    PostJobController,
    ImportJobsController,
    RefreshJobsController,
    UpdateJobController,
    CloseJobController,
    PublishBlogPostController,
    UploadCvController,
    EraseCandidateController,
  ].map((controller) => [controller, controller.name.replace(/Controller$/, '')]),
);

const outcomeOf = (status: number): string =>
  status < 400
    ? 'accepted'
    : status === 409 || status === 412
      ? 'conflict'
      : status < 500
        ? 'rejected'
        : 'failed';

/**
 * Counts commands by type and outcome (feedwerk_commands_total). Registered for the whole app, so
 * it ignores every route that is not a command (reads, the ticker and admin in the standalone app).
 * Requests refused by a guard (401/403, 429) never reach a command and are not counted.
 */
@Injectable()
export class CommandMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: FeedwerkMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const command = COMMANDS.get(context.getClass());
    if (command === undefined || context.getType() !== 'http') return next.handle();
    const count = (status: number) => this.metrics.commands.inc({ command, outcome: outcomeOf(status) });
    return next.handle().pipe(
      tap(() => count(200)),
      catchError((error: unknown) => {
        // The same mapping the problem filter answers with, so the outcome matches the status sent.
        count(toProblem(error).problem.status);
        return throwError(() => error);
      }),
    );
  }
}
