import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { InvalidBlobKeyError, LocalBlobStore } from '@feedwerk/privacy';

describe('LocalBlobStore', () => {
  let root: string;
  let store: LocalBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'feedwerk-blob-spec-'));
    store = new LocalBlobStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const files = async () =>
    (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);

  it('stores a stream under its key and reports size and SHA-256', async () => {
    const key = `cv/${randomUUID()}`;
    const bytes = Buffer.from('hello blob');
    expect(await store.put(key, Readable.from([bytes]))).toEqual({
      size: bytes.length,
      // sha256sum of "hello blob"
      sha256: 'e997afd18e5f6be004fc193aed2c90291e68ab2c7599a62538c935b7fca6ab0f',
    });
    expect(await store.exists(key)).toBe(true);
    expect(await buffer((await store.get(key))!)).toEqual(bytes);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const key = `cv/${randomUUID()}`;
    const failing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        done(chunk.toString() === 'bad' ? new Error('refused') : null, chunk);
      },
    });
    const source = Readable.from(['good', 'bad', 'never']).pipe(failing);
    await expect(store.put(key, source)).rejects.toThrow('refused');
    expect(await store.exists(key)).toBe(false);
    expect(await files()).toEqual([]);
  });

  it('does not crash when the source fails before the store starts reading it', async () => {
    const source = new Readable({ read() {} });
    source.destroy(new Error('early'));
    await expect(store.put(`cv/${randomUUID()}`, source)).rejects.toThrow('early');
    expect(await files()).toEqual([]);
  });

  it('deletes once and answers whether something was deleted', async () => {
    const key = `cv/${randomUUID()}`;
    await store.put(key, Readable.from([Buffer.from('x')]));
    expect(await store.delete(key)).toBe(true);
    expect(await store.delete(key)).toBe(false);
    expect(await store.get(key)).toBeNull();
  });

  it('refuses keys that could address anything outside its directory', async () => {
    for (const key of ['../../etc/passwd', 'cv/../../x', 'cv/x.pdf', '/abs/path', `CV/${randomUUID()}`]) {
      await expect(store.exists(key)).rejects.toThrow(InvalidBlobKeyError);
    }
  });
});
