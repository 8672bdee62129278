import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import { MESSAGE_TRANSPORT, type MessageTransport } from '@feedwerk/transport';
import { type FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';

/**
 * Liveness: the process serves HTTP. Readiness: PostgreSQL answers and the transport can publish.
 * An app without a transport (the api: it only appends to the outbox) is ready while Kafka is down.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Optional() @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport | null,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const [postgres, transport] = await Promise.all([
      this.db
        .query('SELECT 1')
        .then(() => true)
        .catch(() => false),
      this.transport ? this.transport.isHealthy().catch(() => false) : true,
    ]);
    const ok = postgres && transport;
    await reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'unavailable',
      checks: this.transport ? { postgres, [this.transport.kind]: transport } : { postgres },
    });
  }
}
