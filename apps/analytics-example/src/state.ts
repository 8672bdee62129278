import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Everything the consumer knows, in one file written atomically (temp file, fsync, rename): the
 * counts together with the next offset per partition they include and the recent ce_ids. Counts and
 * offsets can therefore never disagree, whatever moment the process dies at.
 */
export interface State {
  counts: Record<string, number>;
  /** `topic:partition` → the next offset not yet counted. */
  offsets: Record<string, string>;
  /** Recently counted ce_ids, oldest first (bounded): a record published twice counts once. */
  recentIds: string[];
}

export const RECENT_IDS = 50_000;

export const emptyState = (): State => ({ counts: {}, offsets: {}, recentIds: [] });

export async function loadState(file: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<State>;
  return {
    counts: parsed.counts ?? {},
    offsets: parsed.offsets ?? {},
    recentIds: parsed.recentIds ?? [],
  };
}

export async function saveState(file: string, state: State): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(JSON.stringify(state));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}
