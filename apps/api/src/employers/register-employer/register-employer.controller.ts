import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseBody } from '@feedwerk/platform';
import { type FastifyRequest } from 'fastify';
import { commandContext } from '../../shared/command-context';
import {
  RegisterEmployerBody,
  RegisterEmployerCommand,
  type RegisterEmployerResult,
} from './register-employer.command';

@Controller('employers')
export class RegisterEmployerController {
  constructor(private readonly commands: CommandBus) {}

  /** POST /employers `{ name, website, city }` → 201 `{ employerId, apiKey }`. */
  @Post()
  @HttpCode(201)
  async register(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<RegisterEmployerResult> {
    const input = parseBody(RegisterEmployerBody, body);
    const context = commandContext({
      actor: { kind: 'anonymous', id: null },
      correlationId: request.id,
      route: 'POST /employers',
      body,
      idempotencyKey,
    });
    return this.commands.execute(new RegisterEmployerCommand(input, context));
  }
}
