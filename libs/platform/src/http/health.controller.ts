import { Controller, Get, Inject, Res } from '@nestjs/common';
import { MESSAGE_TRANSPORT, type MessageTransport } from '@feedwerk/transport';
import { type FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';

/**
 * Liveness: the process serves HTTP. Readiness: PostgreSQL answers and the transport can publish.
 * An api instance stays live while Kafka is down (the outbox absorbs it); readiness tells the truth.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
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
      this.transport.isHealthy().catch(() => false),
    ]);
    const ok = postgres && transport;
    await reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'unavailable',
      checks: { postgres, [this.transport.kind]: transport },
    });
  }
}
