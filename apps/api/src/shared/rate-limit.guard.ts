import { createHash } from 'node:crypto';
import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ProblemException, type FeedwerkConfig } from '@feedwerk/platform';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { type FastifyRequest } from 'fastify';
import { SlidingWindowStorage } from './rate-limit.storage';

const credentialOf = (request: FastifyRequest): string | undefined => {
  const header = request.headers.authorization;
  return header ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
};

/**
 * Two budgets per window: one per client IP on every api route, one per credential (employer API
 * key or admin token, tracked by a digest, never the secret itself) on authenticated calls. Counts
 * are kept in the process (one api instance's view; behind N instances the budget is N-fold).
 */
export const rateLimits = (config: FeedwerkConfig): ThrottlerModuleOptions => ({
  throttlers: [
    { name: 'ip', ttl: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT_PER_IP },
    {
      name: 'key',
      ttl: config.RATE_LIMIT_WINDOW_MS,
      limit: config.RATE_LIMIT_PER_KEY,
      skipIf: (context) => credentialOf(context.switchToHttp().getRequest<FastifyRequest>()) === undefined,
      getTracker: (request) =>
        createHash('sha256')
          .update(credentialOf(request as FastifyRequest) ?? '')
          .digest('hex'),
    },
  ],
  storage: new SlidingWindowStorage(),
  // One budget across all routes (the library's default keys a budget per controller method).
  generateKey: (_context, tracker, throttler) => `${throttler}:${tracker}`,
  // The 429 below carries the one Retry-After header; no per-throttler X-RateLimit-* headers.
  setHeaders: false,
});

/** 429 as problem+json with Retry-After (seconds until the window frees a request). */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire));
    throw new ProblemException(
      {
        title: 'Too Many Requests',
        status: 429,
        detail: `rate limit of ${detail.limit} requests per ${Math.round(detail.ttl / 1000)} s exceeded; retry in ${retryAfter} s`,
        code: 'rate-limited',
      },
      { 'retry-after': String(retryAfter) },
    );
  }
}
