import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  AdminRoutes,
  type DeadLetterList,
  type DeadLetterReplayResult,
  type ProjectionView,
  type RebuildView,
  type RepublishView,
  type TickerItemV1,
} from '@feedwerk/contracts';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AdminClient, CliError, ExitCode } from './admin-client';
import {
  type FollowOptions,
  followJob,
  type FollowedJob,
  type Interrupts,
  processInterrupts,
  progressBar,
  type ProgressView,
} from './follow-job';

export const DEFAULT_URL = 'http://localhost:3000';

/** What the CLI touches of the world; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
  /** Progress display and Ctrl-C handling while following a job (default: cli-progress and SIGINT). */
  readonly follow?: (label: string) => { view: ProgressView; interrupts: Interrupts; dispose(): void };
  readonly pollIntervalMs?: number;
}

interface EventView {
  position: number;
  time: string;
  type: string;
  streamId: string;
  streamPosition: number;
  data: unknown;
}

const RUNNING_REBUILD = ['building', 'switching'];
const RUNNING_REPUBLISH = ['running'];

const positiveInt = (value: string): number => {
  if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',')];

/** `npm run admin -- <command>`: the admin HTTP API from a terminal. */
export function buildProgram(io: CliIo): Command {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const program = new Command('admin')
    .description('Feedwerk admin: history, time travel, rebuilds and republishes over the admin HTTP API')
    .addOption(
      new Option('--url <url>', 'the service (admin app or standalone)').default(
        io.env.FEEDWERK_URL ?? DEFAULT_URL,
      ),
    )
    .addHelpText(
      'after',
      '\nThe admin token is read from FEEDWERK_ADMIN_TOKEN (never from the command line).',
    )
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError(false);

  const client = (): AdminClient => {
    const token = io.env.FEEDWERK_ADMIN_TOKEN;
    if (!token)
      throw new CliError('set FEEDWERK_ADMIN_TOKEN to an admin token (one of ADMIN_TOKENS)', ExitCode.usage);
    return new AdminClient(program.opts<{ url: string }>().url, token, io.fetch ?? fetch);
  };

  const follow = async <T extends FollowedJob>(
    label: string,
    options: Omit<FollowOptions<T>, 'view' | 'interrupts' | 'intervalMs'>,
  ) => {
    const ui = io.follow
      ? io.follow(label)
      : (() => {
          const interrupts = processInterrupts(io.stdin, io.stderr, `${label} is running`);
          return { view: progressBar(label, io.stderr), interrupts, dispose: () => interrupts.dispose() };
        })();
    try {
      return await followJob({
        ...options,
        view: ui.view,
        interrupts: ui.interrupts,
        intervalMs: io.pollIntervalMs,
      });
    } finally {
      ui.dispose();
    }
  };

  /** Reports how a followed job ended; a failed or cancelled one fails the command. */
  const finish = (
    what: string,
    outcome: { kind: 'finished' | 'detached'; job: FollowedJob },
    success: string,
  ) => {
    const { job } = outcome;
    if (outcome.kind === 'detached') {
      out(`${what} ${job.id} keeps running (${job.status}); follow it with the admin page or GET its status`);
      return;
    }
    out(`${what} ${job.id}: ${job.status} (${job.progress.done}/${job.progress.total} events)`);
    if (job.status !== success) {
      throw new CliError(
        `${what} ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`,
        ExitCode.failed,
      );
    }
  };

  program
    .command('events')
    .description('list events (one page), or export every match with --format jsonl|csv')
    .option('--type <type...>', 'event type(s), repeatable or comma-separated', collect)
    .option('--stream <streamId>', 'one stream, e.g. job:<uuid>')
    .option('--portal <portal>', 'events of one portal')
    .option('--from <time>', 'ISO time, inclusive')
    .option('--to <time>', 'ISO time, exclusive')
    .option('--correlation-id <id>', 'events of one request')
    .option('--after <position>', 'page after this position (oldest first)', positiveInt)
    .option('--before <position>', 'page before this position (newest first)', positiveInt)
    .option('--limit <n>', 'page size (at most 500)', positiveInt)
    .addOption(new Option('--format <format>', 'export everything to stdout').choices(['jsonl', 'csv']))
    .action(async (o: Record<string, string | number | string[] | undefined>) => {
      const filter = {
        type: o.type as string[] | undefined,
        stream: o.stream as string | undefined,
        portal: o.portal as string | undefined,
        from: o.from as string | undefined,
        to: o.to as string | undefined,
        correlationId: o.correlationId as string | undefined,
      };
      if (o.format) {
        const response = await client().stream(AdminRoutes.eventsExport, {
          ...filter,
          format: o.format,
        });
        if (!response.body) return;
        await pipeline(Readable.fromWeb(response.body as WebReadableStream), io.stdout, {
          end: false,
        });
        return;
      }
      const page = await client().json<{ events: EventView[]; next: Record<string, number> | null }>(
        'GET',
        AdminRoutes.events,
        {
          ...filter,
          after: o.after as number | undefined,
          before: o.before as number | undefined,
          limit: o.limit as number | undefined,
        },
      );
      for (const e of page.events)
        out(`${e.position}\t${e.time}\t${e.type}\t${e.streamId}@${e.streamPosition}`);
      if (page.next) {
        const [key, value] = Object.entries(page.next)[0]!;
        io.stderr.write(`more: --${key} ${value}\n`);
      }
    });

  program
    .command('stream <streamId>')
    .description("a stream's full history (JSON)")
    .action(async (streamId: string) => {
      const history = await client().json<unknown>('GET', AdminClient.path(AdminRoutes.stream, { streamId }));
      out(JSON.stringify(history, null, 2));
    });

  program
    .command('state <streamId>')
    .description("an aggregate's state now, at a version, or at a time (JSON)")
    .option('--version <n>', 'stream version', positiveInt)
    .option('--at <time>', 'ISO time')
    .action(async (streamId: string, o: { version?: number; at?: string }) => {
      const state = await client().json<unknown>(
        'GET',
        AdminClient.path(AdminRoutes.streamState, { streamId }),
        o,
      );
      out(JSON.stringify(state, null, 2));
    });

  program
    .command('box')
    .description('the ticker box of a portal as it was at a time')
    .requiredOption('--at <time>', 'ISO time, e.g. 2026-11-27T10:32:00+01:00')
    .requiredOption('--portal <portal>', 'the portal')
    .addOption(new Option('--lang <lang>', 'language').choices(['de', 'en']).default('de'))
    .option('--limit <n>', 'lines (at most 50)', positiveInt)
    .option('--json', 'the answer as JSON')
    .action(async (o: { at: string; portal: string; lang: string; limit?: number; json?: boolean }) => {
      const box = await client().json<{ at: string; items: TickerItemV1[] }>('GET', AdminRoutes.boxAt, {
        at: o.at,
        portal: o.portal,
        lang: o.lang,
        limit: o.limit,
      });
      if (o.json) return void out(JSON.stringify(box, null, 2));
      out(`${o.portal} at ${box.at}: ${box.items.length} line(s)`);
      for (const item of box.items) {
        out(`${item.icon ?? ' '} ${item.text}${item.detail ? ` – ${item.detail}` : ''}  (${item.at})`);
      }
    });

  program
    .command('projections')
    .description('every rebuildable projection, its live generation and running rebuild')
    .action(async () => {
      const projections = await client().json<ProjectionView[]>('GET', AdminRoutes.projections);
      for (const p of projections) {
        const rebuild = p.rebuild
          ? `rebuild ${p.rebuild.id} ${p.rebuild.status} ${p.rebuild.progress.done}/${p.rebuild.progress.total}`
          : 'no rebuild running';
        out(`${p.name}\t${p.version}\tgeneration ${p.liveGeneration} since ${p.liveSince}\t${rebuild}`);
      }
    });

  program
    .command('rebuild <projection>')
    .description(
      'rebuild a projection blue/green; shows progress until it is live (Ctrl-C: cancel or detach)',
    )
    .option('--no-wait', 'start it and return at once')
    .action(async (projection: string, o: { wait: boolean }) => {
      const api = client();
      const started = await api.json<RebuildView>(
        'POST',
        AdminClient.path(AdminRoutes.rebuilds, { name: projection }),
      );
      out(`rebuild ${started.id} of ${started.projection} (generation ${started.generation}) started`);
      if (!o.wait) return;
      const rebuildId = started.id;
      const outcome = await follow(`rebuild ${started.projection}`, {
        poll: () => api.json<RebuildView>('GET', AdminClient.path(AdminRoutes.rebuild, { rebuildId })),
        cancel: () => api.json('DELETE', AdminClient.path(AdminRoutes.rebuild, { rebuildId })),
        running: RUNNING_REBUILD,
      });
      finish('rebuild', outcome, 'live');
    });

  program
    .command('rebuild:cancel <rebuildId>')
    .description('cancel a running rebuild')
    .action(async (rebuildId: string) => {
      const view = await client().json<RebuildView>(
        'DELETE',
        AdminClient.path(AdminRoutes.rebuild, { rebuildId }),
      );
      out(`rebuild ${view.id}: ${view.status}`);
    });

  program
    .command('republish')
    .description('republish a range of history (global positions, inclusive) for analytics backfill')
    .requiredOption('--from <position>', 'first global position', positiveInt)
    .requiredOption('--to <position>', 'last global position', positiveInt)
    .option('--rate <n>', 'messages per second', positiveInt)
    .option(
      '--category <category...>',
      'only these categories (jobs, employers, candidates, content)',
      collect,
    )
    .option('--no-wait', 'start it and return at once')
    .action(async (o: { from: number; to: number; rate?: number; category?: string[]; wait: boolean }) => {
      const api = client();
      const started = await api.json<RepublishView>(
        'POST',
        AdminRoutes.republishes,
        {},
        {
          fromPosition: o.from,
          toPosition: o.to,
          ...(o.rate === undefined ? {} : { ratePerSecond: o.rate }),
          ...(o.category === undefined ? {} : { categories: o.category }),
        },
      );
      out(`republish ${started.id} of positions ${started.fromPosition}-${started.toPosition} started`);
      if (!o.wait) return;
      const republishId = started.id;
      const outcome = await follow('republish', {
        poll: () => api.json<RepublishView>('GET', AdminClient.path(AdminRoutes.republish, { republishId })),
        cancel: () => api.json('DELETE', AdminClient.path(AdminRoutes.republish, { republishId })),
        running: RUNNING_REPUBLISH,
      });
      finish('republish', outcome, 'done');
    });

  program
    .command('republish:cancel <republishId>')
    .description('cancel a running republish')
    .action(async (republishId: string) => {
      const view = await client().json<RepublishView>(
        'DELETE',
        AdminClient.path(AdminRoutes.republish, { republishId }),
      );
      out(`republish ${view.id}: ${view.status}`);
    });

  program
    .command('dead-letters')
    .description('records the consumers could not process: id, when, group, source, reason')
    .addOption(
      new Option('--status <status>', 'pending (not replayed), replayed or all')
        .choices(['pending', 'replayed', 'all'])
        .default('pending'),
    )
    .option('--after <id>', 'page after this id', positiveInt)
    .option('--limit <n>', 'page size (at most 500)', positiveInt)
    .action(async (o: { status: string; after?: number; limit?: number }) => {
      const page = await client().json<DeadLetterList>('GET', AdminRoutes.deadLetters, o);
      for (const d of page.items) {
        const replayed = d.replayedAt ? `\treplayed ${d.replayCount}x, last ${d.replayedAt}` : '';
        out(
          `${d.id}\t${d.deadLetteredAt}\t${d.group}\t${d.topic}/${d.partition}@${d.offset}\t${d.reason}${replayed}`,
        );
      }
      if (page.nextAfter !== null) io.stderr.write(`more: --after ${page.nextAfter}\n`);
    });

  program
    .command('dead-letters:replay [ids...]')
    .description('re-publish dead letters to their source topics (the given ids, or --all pending ones)')
    .option('--all', 'every pending dead letter (up to 1000 per call)')
    .action(async (ids: string[], o: { all?: boolean }) => {
      if (ids.length > 0 === Boolean(o.all)) {
        throw new CliError('give dead-letter ids or --all (not both)', ExitCode.usage);
      }
      const body = o.all
        ? { all: true }
        : {
            ids: ids.map((id) => {
              try {
                return positiveInt(id);
              } catch {
                throw new CliError(`not a dead-letter id: ${id}`, ExitCode.usage);
              }
            }),
          };
      const result = await client().json<DeadLetterReplayResult>(
        'POST',
        AdminRoutes.deadLettersReplay,
        {},
        body,
      );
      out(`replayed ${result.replayed} dead letter(s) (audit action ${result.actionId})`);
      if (result.unknownIds.length > 0) {
        throw new CliError(`no dead letters with ids ${result.unknownIds.join(', ')}`, ExitCode.failed);
      }
    });

  return program;
}

/** Runs one command line; answers the exit code and has printed what the admin needs to know. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exits too, successful ones; commander already printed its message.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failed;
  }
}
