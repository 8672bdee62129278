import { PassThrough } from 'node:stream';

/** Two streams a command-line program writes to in a test, and what it wrote to each so far. */
export function capturedOutput() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const written = { out: '', err: '' };
  stdout.on('data', (chunk: Buffer) => (written.out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (written.err += chunk.toString()));
  return { stdout, stderr, output: (): { out: string; err: string } => ({ ...written }) };
}
