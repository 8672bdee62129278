import { Command } from '@nestjs/cqrs';
import { CandidatePersonalData, CvUploaded, type CvMediaType } from '@feedwerk/contracts';
import { z } from 'zod';
import { type CommandContext } from '../../shared/command-context';

const cv = CvUploaded.schema.shape;

/**
 * The form fields of `POST /candidates/cvs` beside the `file` part: name and e-mail (personal: sealed
 * before they enter any event), the portal, and optional public fields. Built from the event's schema.
 */
export const UploadCvFields = z.strictObject({
  name: CandidatePersonalData.shape.name,
  email: CandidatePersonalData.shape.email,
  portal: cv.portal,
  headline: cv.public.shape.headline.unwrap().optional(),
  region: cv.public.shape.region.unwrap().optional(),
  category: cv.public.shape.category.unwrap().optional(),
});
export type UploadCvFields = z.output<typeof UploadCvFields>;

/** The multipart form as the OpenAPI document shows it: the fields plus the file part. */
export const UploadCvForm = UploadCvFields.extend({
  file: z.string().meta({ format: 'binary', description: 'The CV: a PDF or DOCX document, at most 10 MB' }),
});

export const UploadCvResult = z.strictObject({
  candidateId: z.uuid(),
  cvId: z.uuid(),
  /** Only on a candidate's first upload; shown once, only its hash is kept. */
  candidateToken: z.string().optional(),
});
export type UploadCvResult = z.output<typeof UploadCvResult>;

/** A CV file already in the blob store, checked by content. */
export interface ReceivedCv {
  readonly cvId: string;
  readonly ref: string;
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: CvMediaType;
}

export class UploadCvCommand extends Command<UploadCvResult> {
  constructor(
    /** The authenticated candidate adding a CV, or null for a new candidate. */
    readonly candidateId: string | null,
    readonly file: ReceivedCv,
    readonly fields: UploadCvFields,
    readonly context: CommandContext,
  ) {
    super();
  }
}
