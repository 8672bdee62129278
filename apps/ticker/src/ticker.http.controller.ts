import { Controller, Get, Inject, type OnModuleDestroy, Query, Req, Res } from '@nestjs/common';
import {
  type TickerChangeV1,
  TickerSnapshotQuery,
  TickerStreamQuery,
  type TickerResync,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, ProblemException, zodProblem } from '@feedwerk/platform';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { renderSnapshotHtml } from './snapshot.html';
import { headerValue, TickerAccess } from './ticker.access';
import { TickerHub, type TickerSink } from './ticker.hub';

/** Bytes an SSE response may have queued (per TICKER_CLIENT_BUFFER message) before it counts as slow. */
const BYTES_PER_MESSAGE = 512;

/**
 * The ticker over plain HTTP: Server-Sent Events (`GET /ticker/stream`, resumable with
 * Last-Event-ID) and the box as a server-rendered HTML fragment (`GET /ticker/snapshot`). Both are
 * public, read-only and allow-listed by origin per portal like the socket.io namespace.
 */
@Controller('ticker')
export class TickerHttpController implements OnModuleDestroy {
  /** Open event streams: ended on shutdown, or the HTTP server would wait for them forever. */
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly hub: TickerHub,
    private readonly access: TickerAccess,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
  ) {}

  @Get('stream')
  async stream(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const parsed = TickerStreamQuery.safeParse(query);
    if (!parsed.success) throw new ProblemException(zodProblem(parsed.error, 'query'));
    const { portal, lang, types, region, category, limit } = parsed.data;
    const origin = this.checkOrigin(portal, request);
    const lastEventId = headerValue(request.headers['last-event-id']);
    const since = /^\d{1,16}$/.test(lastEventId ?? '') ? Number(lastEventId) : parsed.data.since;
    const ip = request.ip;
    if (!this.access.acquire(ip)) {
      throw new ProblemException(
        { title: 'Too Many Requests', status: 429, detail: 'too many ticker connections from this address' },
        { 'retry-after': '10' },
      );
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'cross-origin',
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
    });
    // SSE carries no request body; nothing from the client may hold the connection's input open.
    request.raw.resume();
    const write = (chunk: string) => res.write(chunk);
    const event = (name: string, data: unknown, id?: number) =>
      write(`${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    let closed = false;
    const heartbeat = setInterval(() => write(': ping\n\n'), this.config.TICKER_SSE_HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      this.streams.delete(close);
      clearInterval(heartbeat);
      this.hub.remove(sink);
      this.access.release(ip);
      res.end();
    };
    const cap = this.config.TICKER_CLIENT_BUFFER * BYTES_PER_MESSAGE;
    const sink: TickerSink = {
      send: (change: TickerChangeV1) => {
        if (closed) return true;
        if (res.writableLength >= cap) return false;
        event('change', change, change.position);
        return true;
      },
      resync: (message: TickerResync) => {
        // Without an id: the browser's automatic reconnect resumes from the last change it applied.
        event('resync', message);
        close();
      },
      isOpen: () => !closed,
    };
    res.on('close', close);
    this.streams.add(close);
    write('retry: 2000\n\n');
    try {
      await this.hub.open(
        sink,
        { filter: { portal, types, region, category }, lang, limit, since },
        (opening) => {
          if (opening.mode === 'snapshot') {
            event('snapshot', { items: opening.items, head: opening.head }, opening.head);
            return;
          }
          for (const change of opening.changes) event('change', change, change.position);
          // An id-only event moves the client's Last-Event-ID to the head without dispatching anything.
          write(`id: ${opening.head}\n\n`);
        },
      );
    } catch {
      event('resync', { reason: 'gap', head: 0 } satisfies TickerResync);
      close();
    }
  }

  /** Ends every open stream; browsers reconnect (to another node) and resume with Last-Event-ID. */
  onModuleDestroy(): void {
    for (const close of [...this.streams]) close();
  }

  @Get('snapshot')
  async snapshot(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const parsed = TickerSnapshotQuery.safeParse(query);
    if (!parsed.success) throw new ProblemException(zodProblem(parsed.error, 'query'));
    const { portal, lang, types, region, category, limit } = parsed.data;
    const origin = this.checkOrigin(portal, request);
    const items = await this.hub.snapshot({ portal, types, region, category }, lang, limit);
    await reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'public, max-age=5')
      .header('content-language', lang)
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('vary', 'Origin')
      .headers(origin ? { 'access-control-allow-origin': origin } : {})
      .send(renderSnapshotHtml(items, lang, Date.now()));
  }

  /** The request's Origin when it may show `portal`'s box; a 403 problem when it may not. */
  private checkOrigin(portal: string, request: FastifyRequest): string | undefined {
    const origin = headerValue(request.headers.origin);
    if (!this.access.originAllowed(portal, origin)) {
      this.access.rejected += 1;
      throw new ProblemException({
        title: 'Forbidden',
        status: 403,
        detail: `this origin may not show the box of portal ${portal}`,
        code: 'origin-not-allowed',
      });
    }
    return origin;
  }
}
