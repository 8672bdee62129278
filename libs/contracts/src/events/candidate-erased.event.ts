import { z } from 'zod';
import { defineEvent } from '../define-event';

/**
 * A candidate exercised the right to erasure (GDPR Art. 17). By the time this is recorded the
 * candidate's key and CV files are gone, so every sealed field of their earlier events is
 * unreadable. Consumers purge what they derived from the candidate. Carries no personal data.
 */
export const CandidateErased = defineEvent({
  type: 'CandidateErased',
  version: 1,
  category: 'candidates',
  description: "A candidate's personal data was erased (key and files deleted); the events stay.",
  schema: z.strictObject({
    candidateId: z.uuid(),
    receiptId: z.uuid(),
    cvFilesDeleted: z.number().int().min(0),
    keysDeleted: z.number().int().min(0),
  }),
});
