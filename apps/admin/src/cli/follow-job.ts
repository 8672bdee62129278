import { type AdminJobProgress } from '@feedwerk/contracts';
import { SingleBar } from 'cli-progress';

/** What a rebuild and a republish have in common, as far as following them goes. */
export interface FollowedJob {
  readonly id: string;
  readonly status: string;
  readonly progress: AdminJobProgress;
  readonly error: string | null;
}

export type InterruptChoice = 'cancel' | 'detach' | 'resume';

/** Ctrl-C while following: the loop asks what to do instead of dying with the job half watched. */
export interface Interrupts {
  /** Resolves at the next interrupt. */
  next(): Promise<void>;
  ask(): Promise<InterruptChoice>;
}

export interface ProgressView {
  update(job: FollowedJob): void;
  stop(): void;
}

export interface FollowOptions<T extends FollowedJob> {
  readonly poll: () => Promise<T>;
  readonly cancel: () => Promise<unknown>;
  /** Statuses in which the job still runs (polling goes on). */
  readonly running: readonly string[];
  readonly view: ProgressView;
  readonly interrupts: Interrupts;
  readonly intervalMs?: number;
}

export type FollowOutcome<T> =
  { readonly kind: 'finished'; readonly job: T } | { readonly kind: 'detached'; readonly job: T };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls a job until it leaves its running statuses, showing progress. An interrupt asks: cancel
 * (the cancel is requested and polling continues until the job says it stopped), detach (the job
 * goes on, the CLI exits) or resume.
 */
export async function followJob<T extends FollowedJob>(options: FollowOptions<T>): Promise<FollowOutcome<T>> {
  const interval = options.intervalMs ?? 500;
  let pendingInterrupt = options.interrupts.next().then(() => 'interrupt' as const);
  try {
    for (;;) {
      const job = await options.poll();
      options.view.update(job);
      if (!options.running.includes(job.status)) return { kind: 'finished', job };
      const woke = await Promise.race([sleep(interval).then(() => 'tick' as const), pendingInterrupt]);
      if (woke === 'tick') continue;
      pendingInterrupt = options.interrupts.next().then(() => 'interrupt' as const);
      const choice = await options.interrupts.ask();
      if (choice === 'detach') return { kind: 'detached', job };
      if (choice === 'cancel') await options.cancel();
    }
  } finally {
    options.view.stop();
  }
}

const formatEta = (seconds: number | null): string => {
  if (seconds === null) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${Math.round(seconds % 60)}s`
    : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
};

/** The terminal's progress bar (cli-progress) on stderr, so stdout stays for results. */
export function progressBar(label: string, stream: NodeJS.WritableStream): ProgressView {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {etaText} | {status}`,
    stream: stream,
    hideCursor: true,
    // Outside a terminal (CI, a pipe) print a plain line now and then instead of redrawing.
    noTTYOutput: true,
    notTTYSchedule: 2_000,
    etaBuffer: 1,
  });
  let started = false;
  return {
    update(job) {
      const payload = {
        rate: Math.round(job.progress.eventsPerSecond),
        etaText: formatEta(job.progress.etaSeconds),
        status: job.status,
      };
      const total = Math.max(job.progress.total, job.progress.done, 1);
      if (!started) {
        bar.start(total, job.progress.done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(job.progress.done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Ctrl-C of this process, and a question on the terminal (or detach when there is none to ask). */
export function processInterrupts(
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  output: NodeJS.WritableStream,
  what: string,
): Interrupts & { dispose(): void } {
  const waiters: (() => void)[] = [];
  const onSignal = () => waiters.splice(0).forEach((wake) => wake());
  process.on('SIGINT', onSignal);
  return {
    next: () => new Promise<void>((resolve) => waiters.push(resolve)),
    async ask() {
      if (!input.isTTY) return 'detach';
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input, output });
      try {
        const answer = await rl.question(
          `\n${what}: [c]ancel it, [d]etach (it keeps running), [r]esume watching? `,
        );
        const first = answer.trim().toLowerCase()[0];
        return first === 'c' ? 'cancel' : first === 'r' ? 'resume' : 'detach';
      } finally {
        rl.close();
      }
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
    },
  };
}
