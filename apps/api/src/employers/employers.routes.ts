import { z } from 'zod';
import { type ApiRoute } from '../openapi/api-route';
import { commonCommandErrors, readByIdErrors } from '../openapi/common';
import { EmployerIdParams, EmployerViewSchema } from './queries/employers.controller';
import { RegisterEmployerBody } from './register-employer/register-employer.command';

export const employersRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/employers',
    operationId: 'registerEmployer',
    summary: 'Register an employer (RegisterEmployer)',
    description:
      'The API key in the answer is shown once; only its hash is stored. Takes no Idempotency-Key.',
    tags: ['employers'],
    auth: 'none',
    body: { kind: 'json', schema: RegisterEmployerBody },
    responses: {
      201: {
        description: 'Registered.',
        schema: z.strictObject({ employerId: z.uuid(), apiKey: z.string().regex(/^fwk_/) }),
      },
      400: commonCommandErrors[400],
      413: commonCommandErrors[413],
      415: commonCommandErrors[415],
      429: commonCommandErrors[429],
    },
  },
  {
    method: 'get',
    path: '/employers/{employerId}',
    operationId: 'getEmployer',
    summary: "An employer's public profile (read model)",
    tags: ['employers'],
    auth: 'none',
    params: EmployerIdParams,
    responses: {
      200: { description: 'The employer.', schema: EmployerViewSchema },
      ...readByIdErrors('employer'),
    },
  },
];
