import { TEST_ADMIN_TOKEN } from './app-env';

/** An admin API answer as the specs look at it. */
export interface AdminAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
}

/**
 * Calls an admin API route of the app at `baseUrl()` (read at each call: the app starts after the
 * caller is made) with the test token, or `token` (null: none), and a JSON body when given.
 */
export const adminCaller =
  (baseUrl: () => string) =>
  async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TEST_ADMIN_TOKEN,
  ): Promise<AdminAnswer> => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: (await response.json()) as Record<string, unknown>,
    };
  };
