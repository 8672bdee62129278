import { type IncomingMessage } from 'node:http';
import { Inject, Logger } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import {
  type TickerChangeV1,
  TickerProtocol,
  type TickerResync,
  type TickerSubscribeAck,
  TickerSubscribeRequest,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, FeedwerkMetrics } from '@feedwerk/platform';
import { type Namespace, type Socket } from 'socket.io';
import WebSocket from 'ws';
import { headerValue, TickerAccess } from './ticker.access';
import { TickerHub, type TickerSink } from './ticker.hub';

/** Marks a handshake request that holds one of its IP's connection slots. */
const HOLDS_SLOT = Symbol('feedwerk.ticker.slot');
type Request = IncomingMessage & { [HOLDS_SLOT]?: string };

/** The engine fields the gateway reads or sets after the server exists (they are read per request). */
interface EngineInternals {
  opts: {
    allowRequest?: (req: IncomingMessage, fn: (err: string | null | undefined, ok: boolean) => void) => void;
    pingInterval: number;
    pingTimeout: number;
  };
  on(
    event: 'connection',
    listener: (socket: { request: Request; once(e: 'close', l: () => void): void }) => void,
  ): void;
  on(event: 'connection_error', listener: (error: { req: Request }) => void): void;
}

const ipOf = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

/** Subscribes one socket may send per window: a widget needs one per (re)connect or resync. */
const SUBSCRIBES_PER_WINDOW = 10;
const SUBSCRIBE_WINDOW_MS = 10_000;

/**
 * Socket.IO namespace `/ticker`. Clients send only `ticker.subscribe` (with an ack); anything else
 * they emit is ignored and counted. Small frames only, no compression (per-message deflate costs
 * memory per socket), no cookies. The handshake (long-polling and websocket alike) passes
 * `allowRequest`: the page's origin must be allow-listed for some portal and the client's IP must
 * have a connection slot left; `ticker.subscribe` then checks the origin against the portal's list.
 */
@WebSocketGateway({
  namespace: TickerProtocol.namespace,
  cors: { origin: true, credentials: false },
  maxHttpBufferSize: 4 * 1024,
  perMessageDeflate: false,
  serveClient: true,
  cookie: false,
})
export class TickerGateway implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket> {
  private readonly log = new Logger(TickerGateway.name);
  ignoredEvents = 0;
  private namespace: Namespace | null = null;

  constructor(
    private readonly hub: TickerHub,
    private readonly access: TickerAccess,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
    private readonly metrics: FeedwerkMetrics = new FeedwerkMetrics('ticker'),
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    const engine = namespace.server.engine as unknown as EngineInternals;
    engine.opts.pingInterval = this.config.TICKER_PING_INTERVAL_MS;
    engine.opts.pingTimeout = this.config.TICKER_PING_TIMEOUT_MS;
    engine.opts.allowRequest = (req: Request, answer) => {
      const origin = headerValue(req.headers.origin);
      if (!this.access.originAllowedSomewhere(origin)) {
        this.access.rejected += 1;
        answer('origin not allowed', false);
        return;
      }
      const ip = ipOf(req);
      if (!this.access.acquire(ip)) {
        answer('too many connections from this address', false);
        return;
      }
      req[HOLDS_SLOT] = ip;
      answer(null, true);
    };
    engine.on('connection', (socket) => {
      const ip = socket.request[HOLDS_SLOT];
      if (ip !== undefined) socket.once('close', () => this.access.release(ip));
    });
    engine.on('connection_error', ({ req }) => {
      // Allowed by allowRequest, then failed before it became a connection: give the slot back.
      const ip = req[HOLDS_SLOT];
      if (ip !== undefined) {
        delete req[HOLDS_SLOT];
        this.access.release(ip);
      }
    });
  }

  handleConnection(socket: Socket): void {
    const sink = socketSink(socket, this.config.TICKER_CLIENT_BUFFER);
    this.metrics.socketsConnected.set(this.namespace?.sockets.size ?? 0);
    socket.on('disconnect', () => {
      this.hub.remove(sink);
      this.metrics.socketsConnected.set(this.namespace?.sockets.size ?? 0);
    });
    socket.onAny((event: unknown) => {
      if (event !== TickerProtocol.subscribe) this.ignoredEvents += 1;
    });
    let windowStart = 0;
    let inWindow = 0;
    socket.on(TickerProtocol.subscribe, (body: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (answer: TickerSubscribeAck) => void;
      // Each subscribe reads the database: a client that loops on it is slowed down, not served.
      const now = Date.now();
      if (now - windowStart > SUBSCRIBE_WINDOW_MS) {
        windowStart = now;
        inWindow = 0;
      }
      inWindow += 1;
      if (inWindow > SUBSCRIBES_PER_WINDOW) {
        reply({ ok: false, error: 'too many subscribe requests, retry in a few seconds' });
        return;
      }
      const parsed = TickerSubscribeRequest.safeParse(body ?? {});
      if (!parsed.success) {
        reply({
          ok: false,
          error: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
        });
        return;
      }
      const { portal, lang, types, region, category, since, generation, limit } = parsed.data;
      if (!this.access.originAllowed(portal, headerValue(socket.handshake.headers.origin))) {
        reply({ ok: false, error: `portal: this page's origin may not show the box of portal ${portal}` });
        return;
      }
      this.hub
        .open(
          sink,
          { filter: { portal, types, region, category }, lang, limit, since, generation },
          (opening) => reply({ ok: true, ...opening }),
        )
        .catch((error: unknown) => {
          this.log.warn(`subscribe failed: ${String(error)}`);
          reply({ ok: false, error: 'temporarily unavailable, retry' });
        });
    });
  }
}

/** EVENT in socket.io's protocol (socket.io-parser's PacketType.EVENT). */
const EVENT_PACKET = 2;

/** socket.io's write options, with the pre-built websocket frame engine.io sends as it is. */
interface EncodedChange {
  /** The encoded strings; `_packet` is typed for packet objects but passes these on with `preEncoded`. */
  readonly packets: Parameters<Socket['client']['_packet']>[0];
  readonly options: { preEncoded: true; wsPreEncodedFrame?: Buffer[] };
}
const encodedChanges = new WeakMap<TickerChangeV1, EncodedChange>();

/** ws's frame builder (untyped in @types/ws); socket.io's broadcast uses the same one. */
const frameOf = (
  WebSocket as unknown as {
    Sender?: {
      frame?: (
        data: Buffer,
        options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean },
      ) => Buffer[];
    };
  }
).Sender?.frame;

/**
 * socket.io's packet for `change`, encoded once and shared by every socket it goes to, as socket.io's
 * own broadcast does: the hub hands the same rendered change object to all subscribers of one
 * language and outcome, so its JSON and its websocket frame are built once, not once per socket.
 */
function encodedChange(socket: Socket, change: TickerChangeV1): EncodedChange {
  let encoded = encodedChanges.get(change);
  if (encoded === undefined) {
    const packets: unknown[] = socket.nsp.server.encoder.encode({
      type: EVENT_PACKET,
      nsp: socket.nsp.name,
      data: [TickerProtocol.change, change],
    });
    const text = packets[0];
    // "4" is engine.io's message type; one unmasked, uncompressed, final text frame.
    const frame =
      frameOf && packets.length === 1 && typeof text === 'string'
        ? frameOf(Buffer.from(`4${text}`), {
            readOnly: false,
            mask: false,
            rsv1: false,
            opcode: 1,
            fin: true,
          })
        : undefined;
    encoded = {
      packets: packets as EncodedChange['packets'],
      options: frame ? { preEncoded: true, wsPreEncodedFrame: frame } : { preEncoded: true },
    };
    encodedChanges.set(change, encoded);
  }
  return encoded;
}

/** The engine.io connection fields the batching reads and replaces (see batchedWrites). */
interface EngineConnection {
  flush(): void;
  transport: { name: string; socket?: { _socket?: { cork(): void; uncork(): void } } };
}

/** Connections holding their writes until the current turn of the event loop ends. */
const held = new Set<() => void>();
let releaseScheduled = false;
const releaseHeld = () => {
  releaseScheduled = false;
  const releases = [...held];
  held.clear();
  for (const release of releases) release();
};

/**
 * Writes one socket's burst at once. engine.io writes a packet to the transport as soon as the
 * previous write completed: the first change of a burst goes out alone, the others wait for its
 * completion and follow in a second write, each websocket frame a syscall of its own. A Kafka batch
 * holds several changes for one portal whenever the node is behind (and the more, the further
 * behind), so per-frame costs are what kept a busy node behind. While held, engine.io's flush waits
 * until the event loop turns; then everything queued for the socket is flushed once, with the TCP
 * socket corked, so the burst leaves in one write. Order is engine.io's own write buffer, unchanged.
 */
function batchedWrites(socket: Socket): { hold(): void } {
  const conn = socket.conn as unknown as EngineConnection;
  const flush = conn.flush.bind(conn);
  let holding = false;
  const release = () => {
    holding = false;
    const tcp = conn.transport.name === 'websocket' ? conn.transport.socket?._socket : undefined;
    tcp?.cork();
    try {
      flush();
    } finally {
      tcp?.uncork();
    }
  };
  conn.flush = () => {
    if (!holding) flush();
  };
  return {
    hold() {
      if (holding) return;
      holding = true;
      held.add(release);
      if (!releaseScheduled) {
        releaseScheduled = true;
        setImmediate(releaseHeld);
      }
    },
  };
}

let turn = 0;
let turnEnds = false;
/**
 * The number of the event loop's current turn (it counts up once the loop turned): one timer for
 * all sockets of a burst, not one per socket.
 */
function currentTurn(): number {
  if (!turnEnds) {
    turnEnds = true;
    setImmediate(() => {
      turn += 1;
      turnEnds = false;
    });
  }
  return turn;
}

/**
 * Delivers to one socket. Its buffer is engine.io's write buffer (packets not yet flushed to the
 * transport). Packets queued by the current synchronous burst do not count: a burst of changes is
 * written out as soon as the event loop turns. What is still queued from earlier turns is a client
 * not keeping up: past `cap` packets it gets `ticker.resync` instead (memory per socket stays below
 * `cap` plus one burst).
 */
function socketSink(socket: Socket, cap: number): TickerSink {
  const queue = () => (socket.conn as unknown as { writeBuffer?: { type?: string }[] }).writeBuffer;
  const writes = batchedWrites(socket);
  let burst = 0;
  let burstTurn = -1;
  return {
    send(change: TickerChangeV1, alone: boolean): boolean {
      const turn = currentTurn();
      if (burstTurn !== turn) {
        burstTurn = turn;
        burst = 0;
      }
      if ((queue()?.length ?? 0) - burst >= cap) return false;
      // A change that comes alone has no burst to wait for: engine.io writes it at once, as in
      // socket.io's own broadcast (holding it would only add the hold's bookkeeping and a turn).
      if (!alone) writes.hold();
      // What socket.emit does, minus encoding the same change again for every socket.
      const { packets, options } = encodedChange(socket, change);
      socket.client._packet(packets, options);
      burst += 1;
      return true;
    },
    resync(message: TickerResync): void {
      // Drop the messages queued for it (it starts over from a snapshot); engine packets (pings) stay.
      const queued = queue();
      if (queued) {
        const kept = queued.filter((packet) => packet.type !== 'message');
        queued.length = 0;
        queued.push(...kept);
      }
      socket.emit(TickerProtocol.resync, message);
    },
    isOpen: () => socket.connected,
  };
}
