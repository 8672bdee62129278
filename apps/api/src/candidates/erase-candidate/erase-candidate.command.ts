import { Command } from '@nestjs/cqrs';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

export const CandidateParams = z.strictObject({ candidateId: z.uuid() });
export const CandidateCvParams = z.strictObject({ candidateId: z.uuid(), cvId: z.uuid() });

/** What erasure reached, surface by surface, with counts. */
export const ErasureReceipt = z.strictObject({
  receiptId: z.uuid(),
  candidateId: z.uuid(),
  erasedAt: z.iso.datetime(),
  cvFilesDeleted: z.number().int().min(0),
  keysDeleted: z.number().int().min(0),
  surfaces: z.array(
    z.strictObject({
      surface: z.enum(['key-store', 'blob-store', 'event-store', 'downstream']),
      erased: z.number().int().min(0),
      how: z.string(),
    }),
  ),
});
export type ErasureReceipt = z.output<typeof ErasureReceipt>;

export class EraseCandidateCommand extends Command<ErasureReceipt> {
  constructor(
    readonly candidateId: string,
    readonly context: CommandContext,
  ) {
    super();
  }
}
