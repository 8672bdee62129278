import { describeProblem } from './problem';

/**
 * The admin API client: every call carries the token the admin pasted, kept in sessionStorage (this
 * tab only, gone with it), never in localStorage or a cookie.
 */
const TOKEN_KEY = 'feedwerk.admin.token';

export const token = (): string => sessionStorage.getItem(TOKEN_KEY) ?? '';
export const setToken = (value: string): void => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** A failure the admin can act on, shown as its message in the section's status line. */
export class ApiError extends Error {}

/** Query parameters; empty values are left out, arrays repeat the key. */
export type Query = Readonly<Record<string, string | number | readonly string[] | null | undefined>>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string' || typeof value === 'number') params.append(key, String(value));
    else for (const v of value) params.append(key, v);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function request(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  query: Query = {},
  body?: unknown,
): Promise<Response> {
  if (!token()) throw new ApiError('Paste an admin token first.');
  let response: Response;
  try {
    response = await fetch(`${path}${queryString(query)}`, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('The service is not reachable.');
  }
  if (!response.ok) {
    const problem: unknown = await response.json().catch(() => null);
    throw new ApiError(describeProblem(response.status, problem));
  }
  return response;
}

/**
 * The JSON answer of a route, as the type the admin API declares for it. The page trusts its own
 * service's shapes (as the CLI does); everything shown is still rendered as text.
 */
export async function getJson<T>(path: string, query: Query = {}): Promise<T> {
  return (await request('GET', path, query)).json() as Promise<T>;
}

/** POST with a JSON body (or none), answering the created resource. */
export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  return (await request('POST', path, {}, body)).json() as Promise<T>;
}
