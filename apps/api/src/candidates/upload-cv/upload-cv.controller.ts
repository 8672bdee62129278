import { randomUUID } from 'node:crypto';
import { type Readable } from 'node:stream';
import { Controller, Headers, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { MAX_CV_BYTES } from '@feedwerk/contracts';
import { problem, ProblemException, zodProblem } from '@feedwerk/platform';
import { BLOB_STORE, type BlobStore } from '@feedwerk/privacy';
import { type FastifyRequest } from 'fastify';
import { commandContext } from '../../shared/command-context';
import { CountCommand } from '../../shared/command-metrics';
import { CandidateTokens } from '../shared/candidate-tokens';
import { CvContentError, CvSniffer } from './cv-content';
import { type ReceivedCv, UploadCvCommand, UploadCvFields, type UploadCvResult } from './upload-cv.command';

export const CV_UPLOAD_PATH = '/candidates/cvs';
const FILE_FIELD = 'file';
const OPTIONAL_FIELDS = new Set(['headline', 'region', 'category']);

/**
 * Busboy's limits for the one multipart route: one file of at most 10 MB (+1 byte, so the sniffer
 * sees the crossing byte and answers 413), a handful of short fields.
 */
const LIMITS = {
  fileSize: MAX_CV_BYTES + 1,
  files: 1,
  fields: 20,
  parts: 25,
  fieldSize: 2_048,
  fieldNameSize: 100,
  headerPairs: 20,
};

/**
 * Problems end the exchange: the rest of a refused upload is not read, so the connection is closed
 * instead of being drained for reuse.
 */
const refuse = (status: number, detail: string, code: string, path?: string) =>
  new ProblemException(
    {
      title:
        { 400: 'Bad Request', 413: 'Content Too Large', 415: 'Unsupported Media Type' }[status] ?? 'Error',
      status,
      detail,
      code,
      ...(path ? { errors: [{ path, message: detail }] } : {}),
    },
    { connection: 'close' },
  );

const MULTIPART_CODES: Readonly<Record<string, [number, string]>> = {
  FST_FILES_LIMIT: [400, 'send exactly one file, in the field "file"'],
  FST_FIELDS_LIMIT: [400, 'the form has too many fields'],
  FST_PARTS_LIMIT: [400, 'the form has too many parts'],
  FST_REQ_FILE_TOO_LARGE: [413, `the file is larger than ${MAX_CV_BYTES} bytes`],
  FST_PROTO_VIOLATION: [400, 'a field name is not allowed'],
  FST_INVALID_JSON_FIELD_ERROR: [400, 'a field is not valid JSON'],
};

/** Maps what reading the form threw to a problem; unknown errors (a full disk, ...) stay 500s. */
function toUploadProblem(error: unknown): unknown {
  if (error instanceof ProblemException) return error;
  if (error instanceof CvContentError) return refuse(error.status, error.message, error.code, FILE_FIELD);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && MULTIPART_CODES[code]) {
    const [status, detail] = MULTIPART_CODES[code];
    return refuse(status, detail, 'invalid-multipart', code === 'FST_FILES_LIMIT' ? FILE_FIELD : undefined);
  }
  if (
    error instanceof Error &&
    /multipart|boundary|unexpected end of form|malformed|part terminated|premature/i.test(error.message)
  ) {
    return refuse(400, 'the multipart/form-data body is malformed', 'invalid-multipart');
  }
  return error;
}

/** POST /candidates/cvs: multipart/form-data with `file` (PDF or DOCX, ≤ 10 MB) and the fields of UploadCvFields. */
@Controller('candidates')
export class UploadCvController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly tokens: CandidateTokens,
  ) {}

  @Post('cvs')
  @UseGuards(CountCommand)
  @HttpCode(201)
  async upload(
    @Req() request: FastifyRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<UploadCvResult> {
    if (idempotencyKey !== undefined) {
      throw new ProblemException({
        title: 'Bad Request',
        status: 400,
        detail:
          'POST /candidates/cvs does not take an Idempotency-Key: its answer holds a token shown only once',
        code: 'idempotency-key-not-supported',
      });
    }
    if (!request.isMultipart()) {
      throw new ProblemException({
        title: 'Unsupported Media Type',
        status: 415,
        detail: 'a CV is uploaded as multipart/form-data',
        code: 'unsupported-media-type',
      });
    }
    // Before a byte of the file is read: a returning candidate proves who they are.
    const candidateId = await this.tokens.candidateOf(request.headers.authorization);
    const cvId = randomUUID();
    const ref = `cv/${cvId}`;
    let written = false;
    let committed = false;
    try {
      const fields: Record<string, string> = {};
      let file: ReceivedCv | null = null;
      try {
        for await (const part of request.parts({ limits: LIMITS })) {
          if (part.type === 'file') {
            if (part.fieldname !== FILE_FIELD || file) {
              part.file.destroy();
              throw refuse(
                400,
                'send exactly one file, in the field "file"',
                'invalid-multipart',
                FILE_FIELD,
              );
            }
            written = true;
            file = await this.store(ref, cvId, part.file);
          } else {
            if (part.fieldnameTruncated || part.valueTruncated)
              throw refuse(400, 'a field is too long', 'invalid-multipart', part.fieldname.slice(0, 100));
            if (Object.hasOwn(fields, part.fieldname))
              throw refuse(400, 'the field is given more than once', 'invalid-multipart', part.fieldname);
            if (typeof part.value !== 'string')
              throw refuse(400, 'the field must be text', 'invalid-multipart', part.fieldname);
            // An HTML form sends optional fields it left empty as "".
            if (!(OPTIONAL_FIELDS.has(part.fieldname) && part.value === ''))
              fields[part.fieldname] = part.value;
          }
        }
      } catch (error) {
        throw toUploadProblem(error);
      }
      const parsed = UploadCvFields.safeParse(fields);
      const errors = [
        ...(file ? [] : [{ path: FILE_FIELD, message: 'a PDF or DOCX file is required' }]),
        ...(parsed.success ? [] : (zodProblem(parsed.error).errors ?? [])),
      ];
      if (!file || !parsed.success || errors.length > 0) {
        throw new ProblemException(problem(400, 'the form is invalid', { code: 'validation', errors }));
      }
      const context = commandContext({
        actor: { kind: 'anonymous', id: null },
        correlationId: request.id,
        route: `POST ${CV_UPLOAD_PATH}`,
        body: {},
        idempotencyKey: undefined,
      });
      const result = await this.commands.execute(
        new UploadCvCommand(candidateId, file, parsed.data, context),
      );
      committed = true;
      return result;
    } finally {
      // Nothing of a refused or failed upload stays behind.
      if (written && !committed) await this.blobs.delete(ref);
    }
  }

  private async store(ref: string, cvId: string, file: Readable): Promise<ReceivedCv> {
    const sniffer = new CvSniffer();
    try {
      const blob = await this.blobs.put(ref, file.pipe(sniffer));
      return { cvId, ref, sha256: blob.sha256, size: blob.size, mediaType: sniffer.mediaType };
    } catch (error) {
      // The sniffer stopped reading: drop the rest of the part instead of waiting for it.
      file.destroy();
      throw error;
    }
  }
}
