import { type CanActivate, type ExecutionContext, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FeedwerkMetrics } from '@feedwerk/platform';
import { type FastifyInstance } from 'fastify';

const outcomeOf = (status: number): string =>
  status < 400
    ? 'accepted'
    : status === 409 || status === 412
      ? 'conflict'
      : status < 500
        ? 'rejected'
        : 'failed';

/** The command each request reached (set by CountCommand), read when its answer is sent. */
const reached = new WeakMap<object, string>();

/**
 * The last guard of every command route (one controller per command, vertical slices: the
 * controller's name is the command's type): a request that passed all the others reached the
 * command, and CommandMetrics counts it by the status it is answered with. Requests refused by a
 * guard (401/403, 429) or before Nest (415, 413, unparsable JSON) never reach it and are not counted.
 * A guard rather than an interceptor: Nest's interceptor pipeline (rxjs, async resources) cost a
 * fifth of a posting's CPU under load (issue 8).
 */
@Injectable()
export class CountCommand implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http')
      reached.set(
        context.switchToHttp().getRequest<object>(),
        context.getClass().name.replace(/Controller$/, ''),
      );
    return true;
  }
}

/**
 * Counts commands by type and outcome (feedwerk_commands_total) as their answers are sent: the
 * status is the one the problem filter answered with, and the count is in place before the client
 * has the answer.
 */
@Injectable()
export class CommandMetrics implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    private readonly metrics: FeedwerkMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const command = reached.get(request);
      if (command !== undefined) {
        reached.delete(request);
        this.metrics.commands.inc({ command, outcome: outcomeOf(reply.statusCode) });
      }
      done(null, payload);
    });
  }
}
