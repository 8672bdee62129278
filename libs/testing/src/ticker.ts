import {
  type TickerChangeRecord,
  type TickerChangeV1,
  type TickerGenerationMarker,
  type TickerItemV1,
  TickerProtocol,
  type TickerResync,
  Topics,
} from '@feedwerk/contracts';
import { encodeTickerChange, encodeTickerGenerationMarker, type MessageTransport } from '@feedwerk/transport';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** A rendered box line (protocol v1): a posted job on the berlin portal at position `order`. */
export const renderedJobItem = (order = 4, overrides: Partial<TickerItemV1> = {}): TickerItemV1 => ({
  id: `00000000-0000-4000-8000-${String(order).padStart(12, '0')}`,
  kind: 'job.posted',
  icon: '➟',
  text: 'Neue Stellenanzeige eingestellt',
  detail: null,
  count: 1,
  portal: 'berlin',
  region: 'Berlin',
  category: 'pflege',
  order,
  position: order,
  at: '2026-11-27T10:00:00.000Z',
  lang: 'de',
  ...overrides,
});

export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: unknown;
}

/** A Server-Sent Events client on fetch: records every event, parsed, and every comment line. */
export async function sseClient(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        if (block.startsWith(':')) comments.push(block);
        const data = field('data');
        if (data !== undefined)
          events.push({ event: field('event') ?? 'message', id: field('id'), data: JSON.parse(data) });
      }
    }
  })().catch(() => undefined);
  return {
    response,
    events,
    comments,
    ended: reading,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

/**
 * A socket.io client on the ticker namespace (websocket, no reconnection) that records the changes
 * and resyncs it receives. Rejects when the handshake is refused.
 */
export async function tickerSocket(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<{ socket: Socket; changes: TickerChangeV1[]; resyncs: TickerResync[] }> {
  const socket = io(`${url}${TickerProtocol.namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    ...options,
  });
  const changes: TickerChangeV1[] = [];
  const resyncs: TickerResync[] = [];
  socket.on(TickerProtocol.change, (change: TickerChangeV1) => changes.push(change));
  socket.on(TickerProtocol.resync, (message: TickerResync) => resyncs.push(message));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  } catch (error) {
    socket.disconnect();
    throw error;
  }
  return { socket, changes, resyncs };
}

/**
 * Publishes ticker changes of `generation` on the ticker-changes topic and marks them published, as
 * the projector does.
 */
export async function publishTickerChanges(
  transport: MessageTransport,
  feed: { markPublished(position: number, generation?: number): Promise<void> },
  changes: readonly TickerChangeRecord[],
  generation = 1,
): Promise<void> {
  await transport.publish(
    Topics.tickerChanges,
    changes.map((c) => encodeTickerChange(c, generation)),
  );
  const last = changes[changes.length - 1];
  if (last) await feed.markPublished(last.position, generation);
}

/** Publishes a generation marker on the ticker-changes topic, as the projector does after a switch. */
export async function publishGenerationMarker(
  transport: MessageTransport,
  marker: TickerGenerationMarker,
): Promise<void> {
  await transport.publish(Topics.tickerChanges, [encodeTickerGenerationMarker(marker)]);
}
