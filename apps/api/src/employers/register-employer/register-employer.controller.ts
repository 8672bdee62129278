import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody, ProblemException } from '@feedwerk/platform';
import { type FastifyRequest } from 'fastify';
import { commandContext } from '../../shared/command-context';
import { CountCommand } from '../../shared/command-metrics';
import { RateLimitGuard } from '../../shared/rate-limit.guard';
import {
  RegisterEmployerBody,
  RegisterEmployerCommand,
  type RegisterEmployerResult,
} from './register-employer.command';

@Controller('employers')
@UseGuards(RateLimitGuard, CountCommand)
export class RegisterEmployerController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /employers `{ name, website, city }` → 201 `{ employerId, apiKey }`. */
  @Post()
  @HttpCode(201)
  register(@Req() request: FastifyRequest): Promise<RegisterEmployerResult> {
    if (request.headers['idempotency-key'] !== undefined) {
      // The answer holds a secret shown once; replaying it would mean storing it, and anonymous
      // callers have no scope of their own that would keep one caller from another's answer.
      throw new ProblemException({
        title: 'Bad Request',
        status: 400,
        detail:
          'POST /employers does not take an Idempotency-Key: the API key in its answer is shown only once',
        code: 'idempotency-key-not-supported',
      });
    }
    const input = parseBody(RegisterEmployerBody, request.body);
    const context = commandContext({
      actor: { kind: 'anonymous', id: null },
      correlationId: request.id,
      route: 'POST /employers',
      body: request.body,
      idempotencyKey: undefined,
    });
    return this.commands.execute(new RegisterEmployerCommand(input, context));
  }
}
