import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { TickerProtocol, type TickerSubscribeAck } from '@feedwerk/contracts';
import { type Namespace, type Socket } from 'socket.io';
import { TickerHub } from './ticker.hub';

/**
 * Socket.IO namespace `/ticker`. Clients send only `ticker.subscribe` (with an ack); everything
 * else is server → client. Small frames only, no compression (per-message deflate costs memory per
 * socket), no cookies.
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
  constructor(private readonly hub: TickerHub) {}

  afterInit(namespace: Namespace): void {
    this.hub.attach(namespace);
  }

  handleConnection(socket: Socket): void {
    // Registered directly (not via @SubscribeMessage) so the hub decides when the ack is written:
    // before any live item that follows the history it carries.
    socket.on(TickerProtocol.subscribe, (body: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      void this.hub.subscribe(socket, body, ack as (answer: TickerSubscribeAck) => void);
    });
  }
}
