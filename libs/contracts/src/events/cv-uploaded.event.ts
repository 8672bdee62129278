import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Region } from '../germany';
import { safeText, slug } from '../text';

export const CV_MEDIA_TYPES = [
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
] as const;
export const CvMediaType = z.enum(CV_MEDIA_TYPES);
export type CvMediaType = z.infer<typeof CvMediaType>;

/** The largest CV accepted: 10 MB. */
export const MAX_CV_BYTES = 10 * 1024 * 1024;

/**
 * Personal data sealed with the subject's own key (AES-256-GCM, crypto-shredding): once the key is
 * deleted the fields are unreadable everywhere the event was copied to. All parts base64.
 */
export const SealedPersonalData = z.strictObject({
  alg: z.literal('A256GCM'),
  /** Which key sealed it; the key lives in a separate table, never in an event. */
  keyId: z.uuid(),
  iv: z.base64().length(16),
  ciphertext: z.base64().min(4).max(4_096),
  tag: z.base64().length(24),
});
export type SealedPersonalData = z.infer<typeof SealedPersonalData>;

/** What the sealed box holds once opened. */
export const CandidatePersonalData = z.strictObject({
  name: safeText(2, 200),
  email: z.email().max(254),
});
export type CandidatePersonalData = z.infer<typeof CandidatePersonalData>;

/**
 * A candidate uploaded a CV ("Neuer Lebenslauf hochgeladen"). The event carries a reference to the
 * file in the blob store, never the file; a pseudonymous candidate id; public fields the candidate
 * chose to share; and name and e-mail sealed with the candidate's key.
 */
export const CvUploaded = defineEvent({
  type: 'CvUploaded',
  version: 1,
  category: 'candidates',
  description: 'A candidate uploaded a CV; personal data only sealed with the candidate key.',
  schema: z.strictObject({
    candidateId: z.uuid(),
    cvId: z.uuid(),
    portal: slug,
    file: z.strictObject({
      /** Blob store key chosen by the server; the uploaded file name is never used. */
      ref: z.string().regex(/^cv\/[0-9a-f-]{36}$/),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      size: z.number().int().min(1).max(MAX_CV_BYTES),
      mediaType: CvMediaType,
    }),
    public: z.strictObject({
      headline: safeText(2, 120).nullable(),
      region: Region.nullable(),
      category: slug.nullable(),
    }),
    personal: SealedPersonalData,
  }),
});
