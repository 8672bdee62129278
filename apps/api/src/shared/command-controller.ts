import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { ApiKeyGuard, type AuthenticatedRequest, employerOf } from './api-key.guard';
import { type CommandContext, commandContext } from './command-context';
import { CountCommand } from './command-metrics';
import { etagOf } from './if-match';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * A controller of one employer command: rate-limited, authenticated by API key, then counted as
 * the command (CountCommand names it after the controller's class, so one controller per command).
 */
export const EmployerCommandController = (prefix: string) =>
  applyDecorators(Controller(prefix), UseGuards(RateLimitGuard, ApiKeyGuard, CountCommand));

/**
 * The acting employer and the command's context. `route` names what makes two requests different
 * commands besides the body (the path's ids, If-Match), so that a retry matches only its original.
 */
export function employerCommand(
  request: AuthenticatedRequest,
  route: string,
): { employerId: string; context: CommandContext } {
  const employerId = employerOf(request);
  const context = commandContext({
    actor: { kind: 'employer', id: employerId },
    correlationId: request.id,
    route,
    body: request.body,
    idempotencyKey: request.headers['idempotency-key'],
  });
  return { employerId, context };
}

/** Answers a command on one job with its new version, also as the ETag that If-Match sends next. */
export function withEtag<T extends { readonly version: number }>(reply: FastifyReply, result: T): T {
  void reply.header('etag', etagOf(result.version));
  return result;
}
