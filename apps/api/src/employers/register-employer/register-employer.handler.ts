import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { employerDecider } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { issueApiKey } from '@feedwerk/platform';
import { metadataOf } from '../../shared/command-context';
import { replayIfRetried } from '../../shared/idempotency';
import { RegisterEmployerCommand, type RegisterEmployerResult } from './register-employer.command';

@CommandHandler(RegisterEmployerCommand)
export class RegisterEmployerHandler implements ICommandHandler<RegisterEmployerCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ input, context }: RegisterEmployerCommand): Promise<RegisterEmployerResult> {
    const replayed = await replayIfRetried<RegisterEmployerResult>(this.store, context);
    if (replayed) return replayed;

    const employerId = randomUUID();
    const key = issueApiKey();
    const events = employerDecider.decide(
      { type: 'RegisterEmployer', data: { employerId, ...input } },
      employerDecider.initialState,
      { now: context.now },
    );
    const outcome = await this.store.append({
      streamId: StreamIds.employer(employerId),
      expectedVersion: 'no_stream',
      events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
      metadata: metadataOf(context),
      now: context.now,
      idempotency: context.idempotency,
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
    });
    return outcome.result;
  }
}
