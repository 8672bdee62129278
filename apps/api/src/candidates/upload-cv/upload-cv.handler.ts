import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type EventData } from '@feedwerk/contracts';
import { CandidateErasedError } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { PersonalDataVault, SubjectErasedError } from '@feedwerk/privacy';
import { candidates } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { issueCandidateToken } from '../shared/candidate-token';
import { CandidateTokens } from '../shared/candidate-tokens';
import { UploadCvCommand, type UploadCvResult } from './upload-cv.command';

const handle = DeciderCommandHandler(candidates);

@CommandHandler(UploadCvCommand)
export class UploadCvHandler implements ICommandHandler<UploadCvCommand> {
  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    private readonly tokens: CandidateTokens,
  ) {}

  async execute({ candidateId: known, file, fields, context }: UploadCvCommand): Promise<UploadCvResult> {
    const candidateId = known ?? randomUUID();
    const token = known ? null : issueCandidateToken();
    try {
      const result = await handle(
        this.store,
        candidateId,
        async ({ state }) => {
          // Refused before sealing: an erased candidate's id never gets a key again.
          if (state.status === 'erased') throw new CandidateErasedError(candidateId);
          return {
            type: 'UploadCv',
            data: {
              candidateId,
              cvId: file.cvId,
              portal: fields.portal,
              file: { ref: file.ref, sha256: file.sha256, size: file.size, mediaType: file.mediaType },
              public: {
                headline: fields.headline ?? null,
                region: fields.region ?? null,
                category: fields.category ?? null,
              },
              personal: await this.seal(candidateId, fields),
            },
          };
        },
        {
          context,
          fresh: !known,
          // The token commits with the candidate's first event or not at all, and never enters an event.
          alsoWrite: token ? (tx) => this.tokens.store(tx, candidateId, token) : undefined,
          respond: () => ({ candidateId, cvId: file.cvId }),
        },
      );
      return token ? { ...result, candidateToken: token.token } : result;
    } catch (error) {
      // A first upload that did not commit leaves no key behind (it sealed nothing that was stored).
      if (!known) await this.vault.discard(candidateId).catch(() => undefined);
      throw error;
    }
  }

  private async seal(
    candidateId: string,
    { name, email }: UploadCvCommand['fields'],
  ): Promise<EventData<'CvUploaded'>['personal']> {
    try {
      return await this.vault.seal(candidateId, { name, email });
    } catch (error) {
      if (error instanceof SubjectErasedError) throw new CandidateErasedError(candidateId);
      throw error;
    }
  }
}
