import { Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { AdminRoutes } from '@feedwerk/contracts';
import { AdminGuard, type AdminRequest, parseRequestPart } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { AdminAudit } from '../audit/admin-audit';
import { exportStream } from './history.export';
import {
  BoxQuery,
  EventsQuery,
  ExportQuery,
  filterParameters,
  StateQuery,
  StreamParams,
} from './history.queries';
import { type EventPage, HistoryReader } from './history.reader';
import {
  type AggregateStateView,
  type BoxAtView,
  HistoryService,
  type StreamHistory,
} from './history.service';

const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
} as const;

/** "What happened?": the event log for admins, read-only; an export is recorded as an admin action. */
@Controller()
@UseGuards(AdminGuard)
export class HistoryController {
  constructor(
    private readonly reader: HistoryReader,
    private readonly history: HistoryService,
    private readonly audit: AdminAudit,
  ) {}

  @Get(AdminRoutes.events)
  events(@Query() query: unknown): Promise<EventPage> {
    return this.reader.page(parseRequestPart(EventsQuery, query, 'query'));
  }

  @Get(AdminRoutes.eventsExport)
  async export(
    @Query() query: unknown,
    @Req() request: AdminRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { format, ...filter } = parseRequestPart(ExportQuery, query, 'query');
    // Recorded before the first byte leaves: an export that fails halfway still copied data out.
    const { actionId } = await this.audit.record({
      adminId: request.adminId ?? 'unknown',
      correlationId: request.id,
      action: 'history.exported',
      target: 'events',
      parameters: { ...filterParameters(filter), format },
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="feedwerk-events-${stamp}.${format}"`)
      .header('x-admin-action-id', actionId)
      .header('cache-control', 'no-store')
      .send(exportStream(format, this.reader.exportBatches(filter)));
  }

  @Get(AdminRoutes.stream)
  stream(@Param() params: unknown): Promise<StreamHistory> {
    return this.history.stream(parseRequestPart(StreamParams, params, 'path').streamId);
  }

  @Get(AdminRoutes.streamState)
  state(@Param() params: unknown, @Query() query: unknown): Promise<AggregateStateView> {
    const { streamId } = parseRequestPart(StreamParams, params, 'path');
    const q = parseRequestPart(StateQuery, query, 'query');
    return this.history.state(streamId, { version: q.version, at: q.at });
  }

  @Get(AdminRoutes.boxAt)
  box(@Query() query: unknown): Promise<BoxAtView> {
    return this.history.boxAt(parseRequestPart(BoxQuery, query, 'query'));
  }
}
