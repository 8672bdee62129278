import { spec } from '@feedwerk/testing';
import {
  CandidateErasedError,
  CandidateNotFoundError,
  candidateDecider,
  type CandidateEvent,
  CvAlreadyUploadedError,
  type EraseCandidate,
  fold,
  type UploadCv,
} from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const candidateId = '6f1c2b7e-3d4a-4b8e-9c1d-2e3f4a5b6c7d';
const cv1 = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const cv2 = '1b2c3d4e-5f6a-4b7c-8d9e-9f0a1b2c3d4e';

const cvData = (cvId: string) => ({
  candidateId,
  cvId,
  portal: 'berlin',
  file: {
    ref: `cv/${cvId}`,
    sha256: 'a'.repeat(64),
    size: 1234,
    mediaType: 'application/pdf' as const,
  },
  public: { headline: 'Pflegefachkraft', region: 'Berlin' as const, category: 'pflege' },
  personal: {
    alg: 'A256GCM' as const,
    keyId: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    iv: 'AAAAAAAAAAAAAAAA',
    ciphertext: 'c2VhbGVk',
    tag: 'AAAAAAAAAAAAAAAAAAAAAA==',
  },
});
const erasure = {
  candidateId,
  receiptId: '2c3d4e5f-6a7b-4c8d-9e0f-0a1b2c3d4e5f',
  cvFilesDeleted: 2,
  keysDeleted: 1,
};

const upload = (cvId = cv1): UploadCv => ({ type: 'UploadCv', data: cvData(cvId) });
const uploaded = (cvId = cv1): CandidateEvent => ({ type: 'CvUploaded', data: cvData(cvId) });
const erase = (): EraseCandidate => ({ type: 'EraseCandidate', data: erasure });
const erased = (): CandidateEvent => ({ type: 'CandidateErased', data: erasure });

describe('UploadCv', () => {
  const given = spec(candidateDecider).at(T0);

  it('uploads the first CV of a new candidate', () => given().when(upload()).then([uploaded()]));

  it('lets a candidate upload several CVs', () =>
    given(uploaded(cv1))
      .when(upload(cv2))
      .then([uploaded(cv2)]));

  it('does not upload the same CV twice', () =>
    given(uploaded(cv1)).when(upload(cv1)).thenThrows(CvAlreadyUploadedError));

  it('refuses uploads under the id of an erased candidate', () =>
    given(uploaded(), erased()).when(upload(cv2)).thenThrows(CandidateErasedError));
});

describe('EraseCandidate', () => {
  const given = spec(candidateDecider).at(T0);

  it('erases an active candidate', () => given(uploaded(cv1), uploaded(cv2)).when(erase()).then([erased()]));

  it('decides nothing when erasing again: the first receipt stands', () =>
    given(uploaded(), erased()).when(erase()).then([]));

  it('cannot erase a candidate that never existed', () =>
    given().when(erase()).thenThrows(CandidateNotFoundError));

  it('remembers every CV file so that erasure can find them', () => {
    const state = fold(candidateDecider, [uploaded(cv1), uploaded(cv2)]);
    expect(state).toEqual({
      status: 'active',
      candidateId,
      cvs: [
        { cvId: cv1, ref: `cv/${cv1}` },
        { cvId: cv2, ref: `cv/${cv2}` },
      ],
    });
  });
});
