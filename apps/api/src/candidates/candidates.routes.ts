import { z } from 'zod';
import { type ApiRoute } from '../openapi/api-route';
import {
  CandidateCvParams,
  CandidateParams,
  ErasureReceipt,
} from './erase-candidate/erase-candidate.command';
import { CandidateView } from './read-candidate/candidate.view';
import { UploadCvForm, UploadCvResult } from './upload-cv/upload-cv.command';

const bearer = z.strictObject({
  authorization: z.string().meta({ description: 'Bearer <candidateToken> (from the first upload)' }),
});

/** What every route on one candidate shares: the candidate's token. */
const byCandidate = {
  tags: ['candidates'],
  auth: 'candidate',
  headers: bearer,
} as const;
const noToken = { 401: { description: 'No or an invalid candidate token' } };

/** The candidate routes for the OpenAPI document, built from the schemas the controllers parse with. */
export const candidatesRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/candidates/cvs',
    operationId: 'uploadCv',
    summary: 'Upload a CV (PDF or DOCX, at most 10 MB)',
    description:
      'multipart/form-data with the file in `file`. The type is decided by the content, not the name. Name and ' +
      'e-mail are sealed with the candidate key before they enter any event. Without a token a new candidate is ' +
      'created and its token is answered once; with `Authorization: Bearer <candidateToken>` the CV is added to ' +
      'that candidate. No Idempotency-Key (400): the answer may hold the token.',
    tags: ['candidates'],
    auth: 'none',
    headers: z.strictObject({ authorization: bearer.shape.authorization.optional() }),
    body: { kind: 'multipart', schema: UploadCvForm, fileField: 'file' },
    responses: {
      201: { description: 'Uploaded', schema: UploadCvResult },
      400: { description: 'Missing or invalid fields, an empty file, no file or more than one' },
      401: { description: 'A malformed or unknown candidate token' },
      409: { description: 'The candidate was erased' },
      413: { description: 'The file is larger than 10 MB' },
      415: { description: 'Not multipart/form-data, or the file is neither PDF nor DOCX' },
    },
  },
  {
    method: 'get',
    path: '/candidates/{candidateId}',
    operationId: 'getCandidate',
    summary: 'The candidate\'s own data, name and e-mail opened ("erased" after erasure)',
    ...byCandidate,
    params: CandidateParams,
    responses: {
      200: { description: 'The candidate', schema: CandidateView },
      ...noToken,
      404: { description: 'No such candidate (or the token is for another one)' },
    },
  },
  {
    method: 'get',
    path: '/candidates/{candidateId}/cvs/{cvId}',
    operationId: 'downloadCv',
    summary: 'Download a CV (attachment, nosniff)',
    ...byCandidate,
    params: CandidateCvParams,
    responses: {
      200: { description: 'The file (application/pdf or the DOCX media type)' },
      ...noToken,
      404: { description: 'No such candidate or CV' },
      410: { description: 'The candidate was erased' },
    },
  },
  {
    method: 'delete',
    path: '/candidates/{candidateId}',
    operationId: 'eraseCandidate',
    summary: 'Erase a candidate (right to erasure): CV files and key deleted, a receipt answered',
    description:
      'Deletes the CV files and the candidate key and records CandidateErased; the events stay, their sealed ' +
      'name and e-mail become unreadable everywhere. Erasing again answers the same receipt.',
    ...byCandidate,
    params: CandidateParams,
    responses: {
      200: { description: 'The erasure receipt', schema: ErasureReceipt },
      ...noToken,
      404: { description: 'No such candidate' },
    },
  },
];
