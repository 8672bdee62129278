import { type EventData } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';

export interface UploadCv {
  readonly type: 'UploadCv';
  /** Personal data arrives already sealed: the domain never sees a name or an e-mail address. */
  readonly data: EventData<'CvUploaded'>;
}
export interface EraseCandidate {
  readonly type: 'EraseCandidate';
  /** What the shell erased (files, keys) under a receipt id it chose. */
  readonly data: EventData<'CandidateErased'>;
}
export type CandidateCommand = UploadCv | EraseCandidate;

export type CandidateEvent =
  | { readonly type: 'CvUploaded'; readonly data: EventData<'CvUploaded'> }
  | { readonly type: 'CandidateErased'; readonly data: EventData<'CandidateErased'> };

/** A CV as the aggregate remembers it: enough to find its file again. */
export interface CandidateCv {
  readonly cvId: string;
  readonly ref: string;
}

export type CandidateState =
  | { readonly status: 'unknown' }
  | { readonly status: 'active'; readonly candidateId: string; readonly cvs: readonly CandidateCv[] }
  | {
      readonly status: 'erased';
      readonly candidateId: string;
      readonly cvs: readonly CandidateCv[];
      readonly erasure: EventData<'CandidateErased'>;
    };

export class CandidateErasedError extends DomainError {
  constructor(candidateId: string) {
    super('conflict', 'candidate.erased', `candidate ${candidateId} was erased; the id cannot be used again`);
  }
}

export class CandidateNotFoundError extends DomainError {
  constructor(candidateId: string) {
    super('not-found', 'candidate.not-found', `candidate ${candidateId} does not exist`);
  }
}

export class CvAlreadyUploadedError extends DomainError {
  constructor(cvId: string) {
    super('conflict', 'cv.already-uploaded', `CV ${cvId} is already uploaded`);
  }
}

/**
 * A candidate: several CVs, then possibly erasure (GDPR Art. 17).
 * - UploadCv: a new or active candidate may add CVs (each cvId once); an erased candidate may not —
 *   their id stays retired, so no new personal data ever joins their shredded history.
 * - EraseCandidate: an active candidate is erased once. Erasing again decides nothing (no event): the
 *   shell answers with the first receipt, so a retried erasure is safe and yields the same receipt.
 *   An unknown candidate cannot be erased (not found).
 */
export const candidateDecider: Decider<CandidateCommand, CandidateEvent, CandidateState> = {
  initialState: { status: 'unknown' },
  eventTypes: { CvUploaded: true, CandidateErased: true },

  decide(command, state) {
    switch (command.type) {
      case 'UploadCv': {
        if (state.status === 'erased') throw new CandidateErasedError(state.candidateId);
        if (state.status === 'active' && state.cvs.some((cv) => cv.cvId === command.data.cvId)) {
          throw new CvAlreadyUploadedError(command.data.cvId);
        }
        return [{ type: 'CvUploaded', data: command.data }];
      }
      case 'EraseCandidate': {
        if (state.status === 'unknown') throw new CandidateNotFoundError(command.data.candidateId);
        if (state.status === 'erased') return [];
        return [{ type: 'CandidateErased', data: command.data }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'CvUploaded': {
        const cv = { cvId: event.data.cvId, ref: event.data.file.ref };
        return state.status === 'active'
          ? { ...state, cvs: [...state.cvs, cv] }
          : { status: 'active', candidateId: event.data.candidateId, cvs: [cv] };
      }
      case 'CandidateErased':
        return {
          status: 'erased',
          candidateId: event.data.candidateId,
          cvs: state.status === 'unknown' ? [] : state.cvs,
          erasure: event.data,
        };
    }
  },
};
