/** Exit codes of `npm run admin`, documented in docs/admin.md. */
export const ExitCode = {
  ok: 0,
  /** The API refused the request (4xx other than auth, 5xx), or a job ended failed or cancelled. */
  failed: 1,
  /** Wrong usage: unknown command or option, a missing setting. */
  usage: 2,
  /** The service could not be reached. */
  unreachable: 3,
  /** 401/403: the admin token is missing, wrong, or not an admin token. */
  unauthorized: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports in one readable message and an exit code (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

interface ProblemBody {
  readonly title?: unknown;
  readonly detail?: unknown;
  readonly errors?: unknown;
}

/** "400 Bad Request: the request query is invalid" plus one line per field, from a problem+json answer. */
export function describeProblem(status: number, body: string): string {
  let problem: ProblemBody = {};
  try {
    problem = JSON.parse(body) as ProblemBody;
  } catch {
    return `${status}: ${body.slice(0, 500) || 'no details'}`;
  }
  const title = typeof problem.title === 'string' ? ` ${problem.title}` : '';
  const detail = typeof problem.detail === 'string' ? problem.detail : 'no details';
  const fields = Array.isArray(problem.errors)
    ? (problem.errors as { path?: unknown; message?: unknown }[]).map(
        (e) => `\n  ${String(e.path)}: ${String(e.message)}`,
      )
    : [];
  return `${status}${title}: ${detail}${fields.join('')}`;
}

export type Query = Readonly<Record<string, string | number | readonly string[] | undefined>>;

const queryString = (query: Query): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
};

/** The admin HTTP API as the CLI uses it: bearer token, problem+json errors turned into CliErrors. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Fills `:name` placeholders of an AdminRoutes path, encoded. */
  static path(route: string, params: Readonly<Record<string, string>> = {}): string {
    return route.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  }

  async json<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Query = {},
    body?: unknown,
  ): Promise<T> {
    const response = await this.request(method, path, query, body);
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The response as it streams (an export): the caller pipes its body. */
  stream(path: string, query: Query): Promise<Response> {
    return this.request('GET', path, query);
  }

  private async request(method: string, path: string, query: Query, body?: unknown): Promise<Response> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}${queryString(query)}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach ${this.baseUrl} (${cause?.code ?? cause?.message ?? String(error)}); is the service running? (--url or FEEDWERK_URL)`,
        ExitCode.unreachable,
      );
    }
    if (!response.ok) {
      const message = describeProblem(response.status, await response.text());
      throw new CliError(
        message,
        response.status === 401 || response.status === 403 ? ExitCode.unauthorized : ExitCode.failed,
      );
    }
    return response;
  }
}
