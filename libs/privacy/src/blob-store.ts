import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What the store recorded for a blob it wrote. */
export interface StoredBlob {
  readonly size: number;
  /** Hex SHA-256 of the bytes as stored. */
  readonly sha256: string;
}

/**
 * Where uploaded files live. Keys are chosen by the server (`cv/<uuid>`), never taken from an upload.
 * `put` is all-or-nothing: if the source stream fails (too large, wrong content, client gone) nothing
 * is left under the key.
 */
export interface BlobStore {
  put(key: string, source: Readable): Promise<StoredBlob>;
  /** The blob's bytes, or null when there is none under the key. */
  get(key: string): Promise<Readable | null>;
  /** True when a blob was there and is gone now. */
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
}
export const BLOB_STORE = Symbol('BlobStore');

/** `<prefix>/<uuid>`: the only key shape accepted, so no key can ever address a path outside the store. */
const KEY = /^[a-z]{1,20}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 80))}`);
  }
}

/**
 * A BlobStore on a local directory (BLOB_DIR, default `<DATA_DIR>/blobs`). Writes stream into a
 * temporary file beside the target, are flushed to disk and then renamed into place, so a reader
 * never sees a half-written blob and a crash leaves at most a `.part` file, never a truncated blob.
 */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, source: Readable): Promise<StoredBlob> {
    // The source may fail while the directory is being made, before the pipeline listens: that must
    // not be an unhandled 'error' (a crash). The pipeline still sees the stream's error state.
    const early = () => undefined;
    source.on('error', early);
    const target = this.pathOf(key);
    const dir = join(target, '..');
    const temp = join(dir, `.${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await mkdir(dir, { recursive: true });
      if (source.errored) throw source.errored;
      await pipeline(source, measure, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      source.off('error', early);
    }
    return { size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable | null> {
    const path = this.pathOf(key);
    try {
      // Opening first turns a missing file into null here instead of an error mid-response.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new InvalidBlobKeyError(key);
    return join(this.root, key);
  }
}
