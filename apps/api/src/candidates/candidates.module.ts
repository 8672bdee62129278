import fastifyMultipart from '@fastify/multipart';
import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { problem } from '@feedwerk/platform';
import { type FastifyInstance } from 'fastify';
import { EraseCandidateController } from './erase-candidate/erase-candidate.controller';
import { EraseCandidateHandler } from './erase-candidate/erase-candidate.handler';
import { CandidateViews } from './read-candidate/candidate.view';
import { ReadCandidateController } from './read-candidate/read-candidate.controller';
import { CandidateAccessGuard } from './shared/candidate-access.guard';
import { CandidateTokens } from './shared/candidate-tokens';
import { privacyProviders } from './shared/privacy.providers';
import { CV_UPLOAD_PATH, UploadCvController } from './upload-cv/upload-cv.controller';
import { UploadCvHandler } from './upload-cv/upload-cv.handler';

/** Routes that read multipart/form-data; every other route keeps refusing it (415). */
const MULTIPART_ROUTES = new Set([CV_UPLOAD_PATH]);

/**
 * Candidates: CV upload (multipart, checked by content, stored in the blob store, personal data
 * sealed), the candidate's own view and download, and erasure by crypto-shredding.
 */
@Module({
  controllers: [UploadCvController, ReadCandidateController, EraseCandidateController],
  providers: [
    ...privacyProviders,
    CandidateTokens,
    CandidateAccessGuard,
    CandidateViews,
    UploadCvHandler,
    EraseCandidateHandler,
  ],
})
export class CandidatesModule implements OnModuleInit {
  constructor(private readonly http: HttpAdapterHost) {}

  /** Registers multipart parsing for the upload route only; it reads the stream itself, with its own limits. */
  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    // Busboy's limits are given per request by the upload route; the JSON limit (64 KiB) is untouched.
    // Not awaited: awaiting would load the plugin queue now and freeze the error handler of the routes
    // already declared before Nest installs its own (problem+json) one; Fastify loads it at start-up.
    void fastify.register(fastifyMultipart, { throwFileSizeLimit: true });
    fastify.addHook('preValidation', async (request, reply) => {
      if (!request.isMultipart() || MULTIPART_ROUTES.has(request.routeOptions.url ?? '')) return;
      await reply
        .status(415)
        .header('content-type', 'application/problem+json')
        .send(
          problem(
            415,
            'multipart/form-data is accepted only by POST /candidates/cvs; send application/json',
            {
              code: 'unsupported-media-type',
              instance: request.url.split('?')[0],
            },
          ),
        );
    });
  }
}
