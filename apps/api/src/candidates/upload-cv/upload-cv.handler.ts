import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { CandidateErasedError, candidateDecider, type CandidateEvent, fold } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { PersonalDataVault, SubjectErasedError } from '@feedwerk/privacy';
import { metadataOf } from '../../shared/command-context';
import { issueCandidateToken } from '../shared/candidate-token';
import { CandidateTokens } from '../shared/candidate-tokens';
import { UploadCvCommand, type UploadCvResult } from './upload-cv.command';

@CommandHandler(UploadCvCommand)
export class UploadCvHandler implements ICommandHandler<UploadCvCommand> {
  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    private readonly tokens: CandidateTokens,
  ) {}

  async execute({ candidateId: known, file, fields, context }: UploadCvCommand): Promise<UploadCvResult> {
    const candidateId = known ?? randomUUID();
    const streamId = StreamIds.candidate(candidateId);
    const history = known ? await this.store.readStream(streamId) : [];
    const state = fold(
      candidateDecider,
      history.map((e) => toFeedEvent(e) as CandidateEvent),
    );
    if (state.status === 'erased') throw new CandidateErasedError(candidateId);

    let personal;
    try {
      personal = await this.vault.seal(candidateId, { name: fields.name, email: fields.email });
    } catch (error) {
      if (error instanceof SubjectErasedError) throw new CandidateErasedError(candidateId);
      throw error;
    }
    const token = known ? null : issueCandidateToken();
    try {
      const events = candidateDecider.decide(
        {
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
            personal,
          },
        },
        state,
        { now: context.now },
      );
      const outcome = await this.store.append({
        streamId,
        expectedVersion: known ? history.length : 'no_stream',
        events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
        metadata: metadataOf(context),
        now: context.now,
        // The token commits with the candidate's first event or not at all, and never enters an event.
        alsoWrite: token ? (tx) => this.tokens.store(tx, candidateId, token) : undefined,
        respond: () => ({ candidateId, cvId: file.cvId }),
      });
      return token ? { ...outcome.result, candidateToken: token.token } : outcome.result;
    } catch (error) {
      // A first upload that did not commit leaves no key behind (it sealed nothing that was stored).
      if (!known) await this.vault.discard(candidateId).catch(() => undefined);
      throw error;
    }
  }
}
