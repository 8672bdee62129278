import { Inject, Injectable } from '@nestjs/common';
import { CvMediaType, type FeedEvent, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { BLOB_STORE, type BlobStore, isErased, PersonalDataVault } from '@feedwerk/privacy';
import { type Readable } from 'node:stream';
import { z } from 'zod';
import { ErasureReceipt } from '../erase-candidate/erase-candidate.command';
import { receiptOf } from '../erase-candidate/erase-candidate.handler';

/** The literal every opened field shows once the candidate's key is gone. */
export const ERASED_MARKER = 'erased';

export const CandidateView = z.strictObject({
  candidateId: z.uuid(),
  status: z.enum(['active', 'erased']),
  /** Opened from the latest upload's sealed data, or "erased". */
  name: z.string(),
  email: z.string(),
  cvs: z.array(
    z.strictObject({
      cvId: z.uuid(),
      uploadedAt: z.iso.datetime(),
      portal: z.string(),
      mediaType: CvMediaType.nullable(),
      size: z.number().int().nullable(),
      headline: z.string().nullable(),
      region: z.string().nullable(),
      category: z.string().nullable(),
      /** Where to download the file; null once erased. */
      download: z.string().nullable(),
    }),
  ),
  erasure: ErasureReceipt.nullable(),
});
export type CandidateView = z.output<typeof CandidateView>;

export class CandidateGoneError extends Error {}

/**
 * A candidate's own data for the candidate (or an operator), folded from their stream on request:
 * a candidate's stream holds a handful of events, and personal data must be opened with the key at
 * the moment of reading anyway (a stored plaintext copy is what erasure could not reach).
 */
@Injectable()
export class CandidateViews {
  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async view(candidateId: string): Promise<CandidateView | null> {
    const history = await this.store.readStream(StreamIds.candidate(candidateId));
    if (history.length === 0) return null;
    const events = history.map(toFeedEvent);
    const erased = events.find((e) => e.type === 'CandidateErased');
    const uploads = events.filter(
      (e): e is Extract<FeedEvent, { type: 'CvUploaded' }> => e.type === 'CvUploaded',
    );
    const latest = uploads.at(-1);
    const opened = latest && !erased ? await this.vault.open(latest.data.personal) : null;
    const personal = opened && !isErased(opened) ? opened : null;
    return {
      candidateId,
      status: erased ? 'erased' : 'active',
      name: personal?.name ?? ERASED_MARKER,
      email: personal?.email ?? ERASED_MARKER,
      cvs: uploads.map(({ data, time }) => ({
        cvId: data.cvId,
        uploadedAt: time,
        portal: data.portal,
        mediaType: erased ? null : data.file.mediaType,
        size: erased ? null : data.file.size,
        headline: erased ? null : data.public.headline,
        region: erased ? null : data.public.region,
        category: erased ? null : data.public.category,
        download: erased ? null : `/candidates/${candidateId}/cvs/${data.cvId}`,
      })),
      erasure: erased?.type === 'CandidateErased' ? receiptOf(erased.data, erased.time, history) : null,
    };
  }

  /** The CV's bytes and type; null if there is no such CV; CandidateGoneError after erasure. */
  async file(
    candidateId: string,
    cvId: string,
  ): Promise<{ stream: Readable; mediaType: CvMediaType; size: number } | null> {
    const history = (await this.store.readStream(StreamIds.candidate(candidateId))).map(toFeedEvent);
    if (history.some((e) => e.type === 'CandidateErased')) throw new CandidateGoneError();
    const upload = history.find((e) => e.type === 'CvUploaded' && e.data.cvId === cvId);
    if (upload?.type !== 'CvUploaded') return null;
    const stream = await this.blobs.get(upload.data.file.ref);
    if (!stream) throw new CandidateGoneError();
    return { stream, mediaType: upload.data.file.mediaType, size: upload.data.file.size };
  }
}
