import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStore } from '@feedwerk/event-store';
import { issueApiKey } from '@feedwerk/platform';
import { employers } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { RegisterEmployerCommand, type RegisterEmployerResult } from './register-employer.command';

const handle = DeciderCommandHandler(employers);

@CommandHandler(RegisterEmployerCommand)
export class RegisterEmployerHandler implements ICommandHandler<RegisterEmployerCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ input, context }: RegisterEmployerCommand): Promise<RegisterEmployerResult> {
    const employerId = randomUUID();
    const key = issueApiKey();
    return handle(
      this.store,
      employerId,
      () => ({ type: 'RegisterEmployer', data: { employerId, ...input } }),
      {
        context,
        fresh: true,
        // The credential commits with the registration or not at all, and never enters the event.
        alsoWrite: async (tx) => {
          await tx.query(`INSERT INTO api_keys (key_id, employer_id, salt, hash) VALUES ($1, $2, $3, $4)`, [
            key.keyId,
            employerId,
            key.salt,
            key.hash,
          ]);
        },
        respond: () => ({ employerId, apiKey: key.apiKey }),
      },
    );
  }
}
