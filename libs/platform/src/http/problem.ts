import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { ZodError, type z } from 'zod';
import { type ProblemMapping } from './problem-mapping';

/** RFC 9457 problem details. `errors` lists field-level reasons (path in the body, message). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** Throw from anywhere in the HTTP shell to answer with a specific problem. */
export class ProblemException extends Error {
  constructor(
    readonly problem: Omit<Problem, 'type'> & { type?: string },
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail);
  }
}

const titleOf = (status: number): string =>
  ({
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    412: 'Precondition Failed',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    429: 'Too Many Requests',
    503: 'Service Unavailable',
  })[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');

export const problem = (status: number, detail: string, extra: Partial<Problem> = {}): Problem => ({
  type: extra.code ? `/problems/${extra.code}` : 'about:blank',
  title: titleOf(status),
  status,
  detail,
  ...extra,
});

export const zodProblem = (error: ZodError, where = 'body'): Problem =>
  problem(400, `the request ${where} is invalid`, {
    code: 'validation',
    errors: error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    })),
  });

/** A 400 about one field of the request (`path`: the field, a header's name or a query parameter). */
export const badField = (detail: string, path: string, message: string, code = 'validation') =>
  new ProblemException({ title: 'Bad Request', status: 400, detail, code, errors: [{ path, message }] });

/** Validates path parameters or a query string; a failure is a 400 problem naming each field. */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'path' | 'query',
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ProblemException(zodProblem(result.error, where));
  return result.data;
}

const isFastifyError = (error: unknown): error is Error & { statusCode: number; code?: string } =>
  error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';

/**
 * Maps anything thrown to a problem: the shell's own errors, then the apps' mappings (each lib's
 * errors, see ProblemMapping), then Nest's and Fastify's. Unknown errors become a 500 without
 * internals (and are logged).
 */
export function toProblem(
  error: unknown,
  mappings: readonly ProblemMapping[] = [],
  log?: Logger,
): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemException) {
    return { problem: { type: 'about:blank', ...error.problem }, headers: { ...error.headers } };
  }
  if (error instanceof ZodError) return { problem: zodProblem(error), headers: {} };
  for (const mapping of mappings) {
    const described = mapping(error);
    if (described) {
      const { status, detail, code, headers } = described;
      return { problem: problem(status, detail, code ? { code } : {}), headers: { ...headers } };
    }
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'object' && response !== null && 'message' in response
        ? String(response.message)
        : error.message;
    return { problem: problem(status, detail), headers: {} };
  }
  if (isFastifyError(error) && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own 4xx: malformed JSON, unsupported media type, body too large, ...
    return {
      problem: problem(error.statusCode, error.message, { code: error.code?.toLowerCase() }),
      headers: {},
    };
  }
  const driverCode = (error as { driverError?: { code?: string }; code?: string } | null)?.driverError?.code;
  // 57014 statement timeout; 57P01-57P03 shutdown/crash/starting up; class 08 connection exceptions.
  if (
    isDatabaseUnavailable(error) ||
    (driverCode !== undefined && /^(57014|57P0[123]|08)/.test(driverCode))
  ) {
    return {
      problem: problem(503, 'the database is unavailable, retry later', { code: 'unavailable' }),
      headers: { 'retry-after': '2' },
    };
  }
  log?.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { problem: problem(500, 'an unexpected error occurred'), headers: {} };
}

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|the database system is/i;
function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof Error && UNAVAILABLE.test(error.message);
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  error: unknown,
  mappings: readonly ProblemMapping[] = [],
  log?: Logger,
): void {
  const { problem: body, headers } = toProblem(error, mappings, log);
  void reply
    .status(body.status)
    .headers(headers)
    .header('content-type', 'application/problem+json')
    .send({ ...body, instance: request.url.split('?')[0] });
}

/** Answers every HTTP error as problem+json, with the mappings the app's modules provide (PROBLEM_MAPPINGS). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  constructor(private readonly mappings: readonly ProblemMapping[] = []) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    sendProblem(
      http.getResponse<FastifyReply>(),
      http.getRequest<FastifyRequest>(),
      error,
      this.mappings,
      this.log,
    );
  }
}

export { HttpStatus };
