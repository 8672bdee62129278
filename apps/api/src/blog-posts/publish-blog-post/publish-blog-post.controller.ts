import { Body, Controller, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { AdminGuard, type AdminRequest } from '@feedwerk/platform';
import { commandContext } from '../../shared/command-context';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import {
  PublishBlogPostBody,
  PublishBlogPostCommand,
  type PublishBlogPostResult,
} from './publish-blog-post.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('blog-posts')
@UseGuards(RateLimitGuard, AdminGuard, CountCommand)
export class PublishBlogPostController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /blog-posts (admin) `{ slug, title, teaser, author, portal? }` → 201 `{ postId, slug }`. */
  @Post()
  @HttpCode(201)
  async publish(
    @Body() body: unknown,
    @Req() request: AdminRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<PublishBlogPostResult> {
    if (!request.adminId) throw new Error('AdminGuard did not run');
    const input = parseBody(PublishBlogPostBody, body);
    const context = commandContext({
      actor: { kind: 'admin', id: request.adminId },
      correlationId: request.id,
      route: 'POST /blog-posts',
      body,
      idempotencyKey,
    });
    return this.commands.execute(new PublishBlogPostCommand(input, context));
  }
}
