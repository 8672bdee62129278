import { randomBytes, randomUUID } from 'node:crypto';
import { type OpenedDatabase } from '@feedwerk/platform';
import { ERASED, PersonalDataVault, SubjectErasedError } from '@feedwerk/privacy';
import { openTestDatabase } from '@feedwerk/testing';

const erika = { name: 'Erika Mustermann', email: 'erika@example.org' };

describe('PersonalDataVault (crypto-shredding on real PostgreSQL)', () => {
  let db: OpenedDatabase;
  let vault: PersonalDataVault;
  beforeAll(async () => {
    db = await openTestDatabase();
    vault = new PersonalDataVault(db.dataSource);
  });
  afterAll(() => db.close());

  it('opens what it sealed, and the sealed box holds no plaintext', async () => {
    const sealed = await vault.seal(randomUUID(), erika);
    expect(JSON.stringify(sealed)).not.toContain('Erika');
    expect(JSON.stringify(sealed)).not.toContain('example.org');
    expect(await vault.open(sealed)).toEqual(erika);
  });

  it('uses one key per candidate and a different one for another candidate', async () => {
    const candidate = randomUUID();
    const first = await vault.seal(candidate, erika);
    const second = await vault.seal(candidate, { ...erika, email: 'neu@example.org' });
    const other = await vault.seal(randomUUID(), erika);
    expect(second.keyId).toBe(first.keyId);
    expect(other.keyId).not.toBe(first.keyId);
    expect(second.iv).not.toBe(first.iv);
  });

  it('yields the erased placeholder once the key is shredded, for every box it sealed', async () => {
    const candidate = randomUUID();
    const boxes = [await vault.seal(candidate, erika), await vault.seal(candidate, erika)];
    expect(await vault.shred(candidate)).toBe(1);
    for (const box of boxes) expect(await vault.open(box)).toEqual(ERASED);
    expect(await vault.hasKey(candidate)).toBe(false);
    const rows: { dek: Buffer | null }[] = await db.dataSource.query(
      `SELECT dek FROM candidate_keys WHERE candidate_id = $1`,
      [candidate],
    );
    expect(rows[0]!.dek).toBeNull();
  });

  it('shreds idempotently and refuses to seal for an erased candidate again', async () => {
    const candidate = randomUUID();
    await vault.seal(candidate, erika);
    expect(await vault.shred(candidate)).toBe(1);
    expect(await vault.shred(candidate)).toBe(0);
    await expect(vault.seal(candidate, erika)).rejects.toThrow(SubjectErasedError);
  });

  it('bars a candidate that never had a key from getting one after erasure', async () => {
    const candidate = randomUUID();
    expect(await vault.shred(candidate)).toBe(0);
    await expect(vault.seal(candidate, erika)).rejects.toThrow(SubjectErasedError);
  });

  it('yields the placeholder, not an error, for a tampered box or an unknown key', async () => {
    const sealed = await vault.seal(randomUUID(), erika);
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] = flipped[0]! ^ 0xff;
    expect(await vault.open({ ...sealed, ciphertext: flipped.toString('base64') })).toEqual(ERASED);
    expect(await vault.open({ ...sealed, keyId: randomUUID() })).toEqual(ERASED);
  });

  it('stores keys wrapped by the master key, so the key table alone opens nothing', async () => {
    const master = randomBytes(32);
    const wrapped = new PersonalDataVault(db.dataSource, master);
    const candidate = randomUUID();
    const sealed = await wrapped.seal(candidate, erika);
    expect(await wrapped.open(sealed)).toEqual(erika);
    const rows: { dek: Buffer; wrapped: boolean }[] = await db.dataSource.query(
      `SELECT dek, wrapped FROM candidate_keys WHERE candidate_id = $1`,
      [candidate],
    );
    expect(rows[0]!.wrapped).toBe(true);
    // Used as a plain key, the stored bytes do not open the box.
    await db.dataSource.query(
      `UPDATE candidate_keys SET wrapped = false, dek = substring(dek from 29) WHERE candidate_id = $1`,
      [candidate],
    );
    expect(await wrapped.open(sealed)).toEqual(ERASED);
  });
});
