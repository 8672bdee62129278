import { randomUUID } from 'node:crypto';
import helmet from 'helmet';
import { type INestApplication, type Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { type FeedwerkConfig } from '../config';
import { contributionsOf } from '../contributions';
import { problem, ProblemFilter } from './problem';
import { PROBLEM_MAPPINGS, type ProblemMapping } from './problem-mapping';

/** Request bodies Feedwerk parses; multipart is accepted only by routes that register a parser for it. */
const ACCEPTED_MEDIA_TYPES = new Set(['application/json', 'multipart/form-data']);

/** JSON bodies above this are refused with 413 before they are parsed. */
export const JSON_BODY_LIMIT = 64 * 1024;

export interface StartedApp {
  readonly app: INestApplication;
  /** http://host:port the server actually listens on (PORT=0 picks a free port). */
  readonly url: string;
}

/**
 * Creates and starts a Nest application on Fastify with the shell every app shares: problem+json
 * errors (also for Fastify's own parse errors), security headers, request ids, body and time limits,
 * and graceful shutdown on SIGTERM.
 */
export async function startHttpApp(module: Type<unknown>, config: FeedwerkConfig): Promise<StartedApp> {
  const adapter = new FastifyAdapter({
    bodyLimit: JSON_BODY_LIMIT,
    // Against slowloris: headers and whole requests must arrive in bounded time.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const mappings = contributionsOf<readonly ProblemMapping[]>(app.get(ModulesContainer), PROBLEM_MAPPINGS);
  app.useGlobalFilters(new ProblemFilter([...new Set(mappings.flat())]));

  const fastify = app.getHttpAdapter().getInstance();
  // A route may raise its own body limit with @RouteConfig({ bodyLimit }) (a bulk import); all others keep 64 KiB.
  fastify.addHook('onRoute', (route) => {
    const config: unknown = route.config;
    const limit =
      typeof config === 'object' && config !== null && 'bodyLimit' in config ? config.bodyLimit : undefined;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
  // Only JSON bodies: text/plain would otherwise be parsed into a string and surface as a 400, not a 415.
  fastify.removeContentTypeParser('text/plain');
  // Commands take JSON only: a form or text body is refused as 415 before anything parses it.
  // preParsing, not onRequest: it runs after helmet's onRequest hook, so the 415 carries the security headers too.
  fastify.addHook('preParsing', async (request, reply, payload) => {
    const type = request.headers['content-type'];
    if (type === undefined || !['POST', 'PUT', 'PATCH'].includes(request.method)) return payload;
    const mediaType = type.split(';')[0]!.trim().toLowerCase();
    if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
      return reply
        .status(415)
        .header('content-type', 'application/problem+json')
        .send(
          problem(415, `content-type ${mediaType} is not accepted; send application/json`, {
            code: 'unsupported-media-type',
          }),
        );
    }
    return payload;
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-correlation-id', request.id);
  });
  // Security headers, built once: @fastify/helmet builds the helmet middleware (and parses its CSP)
  // again on every request, several per cent of a posting's CPU under load (issue 8). Same options, same
  // headers, still an onRequest hook, so every answer (a 415, a 404) carries them.
  const securityHeaders = helmet({
    // API answers are JSON; pages that need scripts (demo, admin) set their own policy per route.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
    hsts: config.NODE_ENV === 'production',
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) =>
      done(
        error === undefined || error instanceof Error
          ? error
          : new Error('security headers failed', { cause: error }),
      ),
    );
  });

  await app.listen(config.PORT, config.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  return { app, url: `http://${host}:${port}` };
}
