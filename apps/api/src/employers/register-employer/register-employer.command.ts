import { Command } from '@nestjs/cqrs';
import { EmployerRegistered } from '@feedwerk/contracts';
import { type z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

/** The HTTP body: the event's own schema minus what the server decides (the id). */
export const RegisterEmployerBody = EmployerRegistered.schema.omit({ employerId: true });
export type RegisterEmployerBody = z.output<typeof RegisterEmployerBody>;

export interface RegisterEmployerResult {
  readonly employerId: string;
  /** Shown once: only its hash is kept. */
  readonly apiKey: string;
}

export class RegisterEmployerCommand extends Command<RegisterEmployerResult> {
  constructor(
    readonly input: RegisterEmployerBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
