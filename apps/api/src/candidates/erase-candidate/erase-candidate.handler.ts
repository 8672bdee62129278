import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, type EventData, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { candidateDecider, type CandidateEvent, fold } from '@feedwerk/domain';
import { EventStore, type StoredEvent, WrongExpectedVersionError } from '@feedwerk/event-store';
import { BLOB_STORE, type BlobStore, PersonalDataVault } from '@feedwerk/privacy';
import { metadataOf } from '../../shared/command-context';
import { EraseCandidateCommand, type ErasureReceipt } from './erase-candidate.command';

/** The receipt of an erasure, rebuilt from the stream: the same every time it is asked for. */
export function receiptOf(
  erasure: EventData<'CandidateErased'>,
  erasedAt: string,
  history: readonly StoredEvent[],
): ErasureReceipt {
  const sealedEvents = history.filter((e) => e.type === 'CvUploaded').length;
  return {
    receiptId: erasure.receiptId,
    candidateId: erasure.candidateId,
    erasedAt,
    cvFilesDeleted: erasure.cvFilesDeleted,
    keysDeleted: erasure.keysDeleted,
    surfaces: [
      { surface: 'key-store', erased: erasure.keysDeleted, how: 'the candidate key was deleted' },
      { surface: 'blob-store', erased: erasure.cvFilesDeleted, how: 'the CV files were deleted' },
      {
        surface: 'event-store',
        erased: sealedEvents,
        how: 'name and e-mail in these events are sealed with the deleted key and unreadable; the events stay',
      },
      {
        surface: 'downstream',
        erased: sealedEvents,
        how: 'copies on Kafka and in replays carry only the sealed data; CandidateErased tells consumers to purge',
      },
    ],
  };
}

/**
 * Erasure (GDPR Art. 17): deletes the CV files first (if anything fails later, a retry finds them gone
 * and goes on; the receipt counts the candidate's files verified gone), then appends CandidateErased and shreds the key in the same transaction — the key is
 * gone exactly when the erasure is recorded. Erasing again answers the first receipt.
 */
@CommandHandler(EraseCandidateCommand)
export class EraseCandidateHandler implements ICommandHandler<EraseCandidateCommand> {
  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async execute(command: EraseCandidateCommand): Promise<ErasureReceipt> {
    try {
      return await this.erase(command);
    } catch (error) {
      // Two erasures at once: the loser answers with the winner's receipt.
      if (error instanceof WrongExpectedVersionError) return this.erase(command);
      throw error;
    }
  }

  private async erase({ candidateId, context }: EraseCandidateCommand): Promise<ErasureReceipt> {
    const streamId = StreamIds.candidate(candidateId);
    const history = await this.store.readStream(streamId);
    const events = history.map((e) => toFeedEvent(e) as CandidateEvent);
    const state = fold(candidateDecider, events);
    if (state.status === 'erased') {
      const recorded = history.find((e) => e.type === 'CandidateErased');
      return receiptOf(state.erasure, recorded?.time ?? context.now.toISOString(), history);
    }
    // Counted as "gone", not "removed by this call": an interrupted or concurrent erasure may have
    // deleted some already, and the receipt must say the same whichever attempt records it.
    let cvFilesDeleted = 0;
    if (state.status === 'active') {
      for (const cv of state.cvs) {
        await this.blobs.delete(cv.ref);
        if (!(await this.blobs.exists(cv.ref))) cvFilesDeleted += 1;
      }
    }
    const keysDeleted = (await this.vault.hasKey(candidateId)) ? 1 : 0;
    const erasure = { candidateId, receiptId: randomUUID(), cvFilesDeleted, keysDeleted };
    const decided = candidateDecider.decide({ type: 'EraseCandidate', data: erasure }, state, {
      now: context.now,
    });
    const outcome = await this.store.append({
      streamId,
      expectedVersion: history.length,
      events: decided.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
      metadata: metadataOf(context),
      now: context.now,
      alsoWrite: async (tx) => {
        await this.vault.shred(candidateId, tx);
      },
      respond: (appended) => appended,
    });
    if (outcome.kind !== 'appended')
      throw new Error('an erasure without an idempotency key cannot be replayed');
    return receiptOf(erasure, outcome.events[0]!.time, [...history, ...outcome.events]);
  }
}
