import { type z } from 'zod';

/**
 * One HTTP route as the OpenAPI document at /docs describes it. Every feature folder exports its
 * routes as `ApiRoute[]` built from the same zod schemas its controllers parse with, so the
 * document cannot drift from what the code accepts.
 */
export interface ApiRoute {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/jobs/{jobId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Who may call it: nobody needs a credential, an employer's API key, the admin credential, a candidate token. */
  readonly auth: 'none' | 'employer' | 'admin' | 'candidate';
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Request headers the route reads (Idempotency-Key, If-Match, ...). */
  readonly headers?: z.ZodObject;
  readonly body?:
    | { readonly kind: 'json'; readonly schema: z.ZodType }
    | { readonly kind: 'multipart'; readonly schema: z.ZodType; readonly fileField: string };
  /** Status code → description and, for bodies other than problem+json, the answer's schema. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}
