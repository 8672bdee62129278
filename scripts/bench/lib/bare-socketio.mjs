// The fan-out ceiling: a bare socket.io server on node:http with the ticker's socket options, namespace
// /ticker, that acks every subscribe with an empty snapshot and, on "burst N" on stdin, broadcasts N
// changes (the same rendered JSON a ticker node sends, positions counting up) with one `emit` each —
// socket.io's broadcast, which encodes once per packet. No database, no Kafka, no filters, no cursors.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { Server } from 'socket.io';

const template = JSON.parse(process.argv[2]);
const server = createServer();
const io = new Server(server, {
  perMessageDeflate: false,
  maxHttpBufferSize: 4 * 1024,
  cookie: false,
  serveClient: false,
  cors: { origin: true, credentials: false },
  pingInterval: Number(process.argv[3] ?? 25_000),
  pingTimeout: Number(process.argv[4] ?? 20_000),
});
const ticker = io.of('/ticker');
ticker.on('connection', (socket) => {
  socket.on('ticker.subscribe', (_body, ack) => {
    if (typeof ack === 'function') ack({ ok: true, mode: 'snapshot', items: [], head: 0, generation: 1 });
  });
});
let position = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, arg] = line.trim().split(' ');
  if (command === 'burst') {
    const n = Number(arg);
    for (let i = 0; i < n; i += 1) {
      position += 1;
      ticker.emit('ticker.change', { ...template, position, item: { ...template.item, position } });
    }
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`bare socket.io listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
