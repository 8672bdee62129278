import { type ServerResponse } from 'node:http';
import { Controller, Get, Inject, type OnModuleDestroy, Query, Req, Res } from '@nestjs/common';
import {
  parseSseEventId,
  sseEventId,
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
  /** Responses whose connection is still open (ended or not). */
  private readonly streams = new Set<ServerResponse>();
  /** How to end each open stream: on shutdown, or the HTTP server would wait for them forever. */
  private readonly ends = new Map<ServerResponse, (graceMs?: number) => void>();

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
    // Last-Event-ID (`<generation>:<position>`, or a bare position of generation 1) wins over the query.
    const resume = parseSseEventId(headerValue(request.headers['last-event-id']));
    const since = resume ? resume.position : parsed.data.since;
    const generation = resume ? resume.generation : parsed.data.generation;
    const ip = request.ip;
    if (!this.access.acquire(ip)) {
      throw new ProblemException(
        { title: 'Too Many Requests', status: 429, detail: 'too many ticker connections from this address' },
        { 'retry-after': '10' },
      );
    }

    reply.hijack();
    const res = reply.raw;
    this.streams.add(res);
    let released = false;
    let lingering: NodeJS.Timeout | undefined;
    // The slot is held as long as the connection is: an ended stream whose bytes a client does not
    // take is still an open connection (and memory) of that address until it is destroyed.
    const gone = () => {
      if (released) return;
      released = true;
      clearTimeout(lingering);
      this.streams.delete(res);
      this.ends.delete(res);
      end();
      this.access.release(ip);
    };
    res.once('close', gone);
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
    // Bytes written in the current turn of the event loop: a batch of changes is written out as soon
    // as the loop turns, so it does not count against the client (see `send`).
    let burst = 0;
    const write = (chunk: string) => {
      const before = res.writableLength;
      res.write(chunk);
      if (burst === 0) setImmediate(() => (burst = 0));
      burst += Math.max(1, res.writableLength - before);
    };
    const event = (name: string, data: unknown, id?: string) =>
      write(`${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    // The generation this stream's positions belong to (set by its opening; a newer one ends it).
    let served = 0;
    let ended = false;
    const heartbeat = setInterval(() => write(': ping\n\n'), this.config.TICKER_SSE_HEARTBEAT_MS);
    /**
     * Ends the stream. What is still queued goes out if the client takes it within `graceMs` (one
     * heartbeat interval); a client that does not is disconnected, so neither its queue nor its
     * connection outlives the stream.
     */
    const end = (graceMs = 0) => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      this.hub.remove(sink);
      res.end();
      if (released || res.writableLength === 0) return;
      if (graceMs === 0) res.destroy();
      else lingering = setTimeout(() => res.destroy(), graceMs).unref();
    };
    this.ends.set(res, end);
    const cap = this.config.TICKER_CLIENT_BUFFER * BYTES_PER_MESSAGE;
    const sink: TickerSink = {
      send: (change: TickerChangeV1) => {
        if (ended) return true;
        // What is still queued from earlier turns is a client not keeping up: past `cap` it gets
        // `resync` instead (memory per client stays below `cap` plus one batch).
        if (res.writableLength - burst >= cap) return false;
        event('change', change, sseEventId(served, change.position));
        return true;
      },
      resync: (message: TickerResync) => {
        // Without an id: the browser's automatic reconnect resumes from the last change it applied.
        event('resync', message);
        end(this.config.TICKER_SSE_HEARTBEAT_MS);
      },
      isOpen: () => !ended,
    };
    // The client may have gone while the request was handled: then 'close' has already been emitted.
    if (res.destroyed) gone();
    write('retry: 2000\n\n');
    try {
      await this.hub.open(
        sink,
        { filter: { portal, types, region, category }, lang, limit, since, generation },
        (opening) => {
          served = opening.generation;
          if (opening.mode === 'snapshot') {
            const { items, head } = opening;
            event('snapshot', { items, head, generation: served }, sseEventId(served, head));
            return;
          }
          for (const change of opening.changes) event('change', change, sseEventId(served, change.position));
          // An id-only event moves the client's Last-Event-ID to the head without dispatching anything.
          write(`id: ${sseEventId(served, opening.head)}\n\n`);
        },
      );
    } catch {
      event('resync', {
        reason: 'gap',
        head: 0,
        generation: this.hub.currentGeneration,
      } satisfies TickerResync);
      end(this.config.TICKER_SSE_HEARTBEAT_MS);
    }
  }

  /** Bytes queued in this process for event-stream clients (bounded per client by TICKER_CLIENT_BUFFER). */
  get queuedBytes(): number {
    let total = 0;
    for (const res of this.streams) total += res.writableLength;
    return total;
  }

  /**
   * Ends every open stream at once (a client that has not taken its queue is disconnected); browsers
   * reconnect (to another node) and resume with Last-Event-ID.
   */
  onModuleDestroy(): void {
    for (const end of [...this.ends.values()]) end(0);
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
