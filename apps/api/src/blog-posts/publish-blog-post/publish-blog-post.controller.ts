import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AdminGuard, type AdminRequest, parseBody } from '@feedwerk/platform';
import { commandContext } from '../../shared/command-context';
import { CountCommand } from '../../shared/command-metrics';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import {
  PublishBlogPostBody,
  PublishBlogPostCommand,
  type PublishBlogPostResult,
} from './publish-blog-post.command';

@Controller('blog-posts')
@UseGuards(RateLimitGuard, AdminGuard, CountCommand)
export class PublishBlogPostController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /blog-posts (admin) `{ slug, title, teaser, author, portal? }` → 201 `{ postId, slug }`. */
  @Post()
  @HttpCode(201)
  publish(@Req() request: AdminRequest): Promise<PublishBlogPostResult> {
    if (!request.adminId) throw new Error('AdminGuard did not run');
    const input = parseBody(PublishBlogPostBody, request.body);
    const context = commandContext({
      actor: { kind: 'admin', id: request.adminId },
      correlationId: request.id,
      route: 'POST /blog-posts',
      body: request.body,
      idempotencyKey: request.headers['idempotency-key'],
    });
    return this.commands.execute(new PublishBlogPostCommand(input, context));
  }
}
