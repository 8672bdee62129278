import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type EventData } from '@feedwerk/contracts';
import { type CandidateState, type EraseCandidate } from '@feedwerk/domain';
import { EventStore, type StoredEvent } from '@feedwerk/event-store';
import { BLOB_STORE, type BlobStore, PersonalDataVault } from '@feedwerk/privacy';
import { candidates } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { type AggregateAt } from '../../shared/load-aggregate';
import { EraseCandidateCommand, type ErasureReceipt } from './erase-candidate.command';

const handle = DeciderCommandHandler(candidates);

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

/** The receipt from the erased candidate's stream, whichever attempt recorded the erasure. */
function receiptAfter({ state, history }: AggregateAt<CandidateState>): ErasureReceipt {
  const recorded = history.find((e) => e.type === 'CandidateErased');
  if (state.status !== 'erased' || !recorded) throw new Error('an erasure left the candidate not erased');
  return receiptOf(state.erasure, recorded.time, history);
}

/**
 * Erasure (GDPR Art. 17): deletes the CV files first (if anything fails later, a retry finds them gone
 * and goes on; the receipt counts the candidate's files verified gone), then appends CandidateErased
 * and shreds the key in the same transaction — the key is gone exactly when the erasure is recorded.
 * Erasing again decides nothing and answers the first receipt.
 */
@CommandHandler(EraseCandidateCommand)
export class EraseCandidateHandler implements ICommandHandler<EraseCandidateCommand> {
  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  execute({ candidateId, context }: EraseCandidateCommand): Promise<ErasureReceipt> {
    return handle(this.store, candidateId, ({ state }) => this.erasure(candidateId, state), {
      context,
      // Two erasures at once: the loser decides again and answers with the winner's receipt.
      retriesOnConflict: 1,
      alsoWrite: async (tx) => {
        await this.vault.shred(candidateId, tx);
      },
      respond: receiptAfter,
    });
  }

  /** Deletes what erasure reaches outside the store; an erased candidate's command is its first erasure. */
  private async erasure(candidateId: string, state: CandidateState): Promise<EraseCandidate> {
    if (state.status === 'erased') return { type: 'EraseCandidate', data: state.erasure };
    // Counted as "gone", not "removed by this call": an interrupted or concurrent erasure may have
    // deleted some already, and the receipt must say the same whichever attempt records it.
    let cvFilesDeleted = 0;
    for (const cv of state.status === 'active' ? state.cvs : []) {
      await this.blobs.delete(cv.ref);
      if (!(await this.blobs.exists(cv.ref))) cvFilesDeleted += 1;
    }
    const keysDeleted = (await this.vault.hasKey(candidateId)) ? 1 : 0;
    return {
      type: 'EraseCandidate',
      data: { candidateId, receiptId: randomUUID(), cvFilesDeleted, keysDeleted },
    };
  }
}
