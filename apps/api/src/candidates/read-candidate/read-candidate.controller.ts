import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ProblemException } from '@feedwerk/platform';
import { notFound } from '../../shared/not-found';
import { parseParams } from '../shared/params';
import { type FastifyReply } from 'fastify';
import { CandidateCvParams, CandidateParams } from '../erase-candidate/erase-candidate.command';
import { CandidateAccessGuard } from '../shared/candidate-access.guard';
import { CandidateGoneError, type CandidateView, CandidateViews } from './candidate.view';

const gone = () =>
  new ProblemException({
    title: 'Gone',
    status: 410,
    detail: "the candidate's data was erased",
    code: 'candidate.erased',
  });

const EXTENSION = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
} as const;

@Controller('candidates')
@UseGuards(CandidateAccessGuard)
export class ReadCandidateController {
  constructor(private readonly views: CandidateViews) {}

  /** GET /candidates/:candidateId: their data with name and e-mail opened, or "erased" after erasure. */
  @Get(':candidateId')
  async read(@Param() params: unknown): Promise<CandidateView> {
    const { candidateId } = parseParams(CandidateParams, params);
    const view = await this.views.view(candidateId);
    if (!view) throw notFound('no such candidate', 'candidate.not-found');
    return view;
  }

  /** GET /candidates/:candidateId/cvs/:cvId: the file, as an attachment that no browser renders; 410 once erased. */
  @Get(':candidateId/cvs/:cvId')
  async download(@Param() params: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { candidateId, cvId } = parseParams(CandidateCvParams, params);
    let file;
    try {
      file = await this.views.file(candidateId, cvId);
    } catch (error) {
      if (error instanceof CandidateGoneError) throw gone();
      throw error;
    }
    if (!file) throw notFound('no such CV', 'candidate.not-found');
    await reply
      .header('content-type', file.mediaType)
      .header('content-length', String(file.size))
      .header('content-disposition', `attachment; filename="cv-${cvId}.${EXTENSION[file.mediaType]}"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(file.stream);
  }
}
