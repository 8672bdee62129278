import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { CandidatePersonalData, SealedPersonalData } from '@feedwerk/contracts';
import { type DataSource, type EntityManager } from 'typeorm';

/** What `open` yields once the candidate's key is gone (or the box does not open): never ciphertext. */
export interface ErasedPersonalData {
  readonly erased: true;
}
export const ERASED: ErasedPersonalData = Object.freeze({ erased: true });
export const isErased = (value: CandidatePersonalData | ErasedPersonalData): value is ErasedPersonalData =>
  'erased' in value;

/** Sealing was asked for a candidate whose key was shredded: their data must stay unreadable for good. */
export class SubjectErasedError extends Error {
  constructor(readonly candidateId: string) {
    super(`candidate ${candidateId} was erased; no new personal data is sealed for them`);
  }
}

/** A wrapped key cannot be unwrapped: the master key is missing or wrong. A configuration fault, not an erasure. */
export class MasterKeyError extends Error {}

const ALG = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

interface KeyRow {
  candidate_id: string;
  key_id: string;
  dek: Buffer | null;
  wrapped: boolean;
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALG, key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

function decrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv(ALG, key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Crypto-shredding for candidates' personal data. Guarantees:
 * - Every candidate has one random 256-bit data key (DEK), kept in `candidate_keys`, never in an event.
 * - `seal` encrypts with AES-256-GCM; the key id is bound as associated data, so a box cannot be
 *   re-labelled to another key.
 * - `open` returns the data, or `{ erased: true }` when the key is gone or the box does not
 *   authenticate; it never throws for those and never returns ciphertext.
 * - `shred` deletes the key material and leaves a tombstone; sealing for that candidate is refused
 *   from then on.
 * - With a master key (PRIVACY_MASTER_KEY) the DEKs are stored wrapped (AES-256-GCM), so a copy of the
 *   key table alone opens nothing. Without one they are stored as they are (the embedded default).
 */
export class PersonalDataVault {
  constructor(
    private readonly db: DataSource,
    private readonly masterKey: Buffer | null = null,
  ) {
    if (masterKey && masterKey.length !== KEY_BYTES)
      throw new MasterKeyError('the master key must be 32 bytes');
  }

  async seal(
    candidateId: string,
    data: CandidatePersonalData,
    manager: EntityManager = this.db.manager,
  ): Promise<SealedPersonalData> {
    const { keyId, dek } = await this.keyFor(candidateId, manager);
    const plaintext = Buffer.from(JSON.stringify(CandidatePersonalData.parse(data)), 'utf8');
    const { iv, ciphertext, tag } = encrypt(dek, plaintext, Buffer.from(keyId, 'utf8'));
    dek.fill(0);
    return SealedPersonalData.parse({
      alg: 'A256GCM',
      keyId,
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: tag.toString('base64'),
    });
  }

  async open(
    sealed: SealedPersonalData,
    manager: EntityManager = this.db.manager,
  ): Promise<CandidatePersonalData | ErasedPersonalData> {
    const rows: KeyRow[] = await manager.query(
      `SELECT candidate_id, key_id, dek, wrapped FROM candidate_keys WHERE key_id = $1`,
      [sealed.keyId],
    );
    const row = rows[0];
    if (!row?.dek) return ERASED;
    const dek = this.unwrap({ dek: row.dek, wrapped: row.wrapped });
    try {
      const plaintext = decrypt(
        dek,
        Buffer.from(sealed.iv, 'base64'),
        Buffer.from(sealed.ciphertext, 'base64'),
        Buffer.from(sealed.tag, 'base64'),
        Buffer.from(sealed.keyId, 'utf8'),
      );
      const parsed = CandidatePersonalData.safeParse(JSON.parse(plaintext.toString('utf8')));
      return parsed.success ? parsed.data : ERASED;
    } catch {
      // A box that does not authenticate is as unreadable as one whose key is gone.
      return ERASED;
    } finally {
      dek.fill(0);
    }
  }

  /** Deletes the candidate's key material (idempotent). Returns how many keys were destroyed now (0 or 1). */
  async shred(candidateId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO candidate_keys (candidate_id, key_id, dek, wrapped, shredded_at)
       VALUES ($1, $2, NULL, false, now())
       ON CONFLICT (candidate_id) DO NOTHING RETURNING key_id`,
      [candidateId, randomUUID()],
    );
    if (inserted.length > 0) return 0; // never had a key: the tombstone alone bars future sealing
    const rows: { n: number }[] = await manager.query(
      `WITH shredded AS (
         UPDATE candidate_keys SET dek = NULL, shredded_at = now()
          WHERE candidate_id = $1 AND dek IS NOT NULL RETURNING 1)
       SELECT count(*)::int AS n FROM shredded`,
      [candidateId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Whether the candidate holds a live key (it would be destroyed by `shred`). */
  async hasKey(candidateId: string, manager: EntityManager = this.db.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM candidate_keys WHERE candidate_id = $1 AND dek IS NOT NULL`,
      [candidateId],
    );
    return rows.length > 0;
  }

  /**
   * Removes a key that sealed nothing that was ever stored (an upload whose append failed), so a
   * failed first upload leaves no trace. Only for candidates with no events.
   */
  async discard(candidateId: string, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`DELETE FROM candidate_keys WHERE candidate_id = $1 AND dek IS NOT NULL`, [
      candidateId,
    ]);
  }

  private async keyFor(candidateId: string, manager: EntityManager): Promise<{ keyId: string; dek: Buffer }> {
    const fresh = randomBytes(KEY_BYTES);
    const inserted: { key_id: string }[] = await manager.query(
      `INSERT INTO candidate_keys (candidate_id, key_id, dek, wrapped) VALUES ($1, $2, $3, $4)
       ON CONFLICT (candidate_id) DO NOTHING RETURNING key_id`,
      [candidateId, randomUUID(), this.wrap(fresh), this.masterKey !== null],
    );
    if (inserted[0]) return { keyId: inserted[0].key_id, dek: fresh };
    fresh.fill(0);
    const rows: KeyRow[] = await manager.query(
      `SELECT candidate_id, key_id, dek, wrapped FROM candidate_keys WHERE candidate_id = $1`,
      [candidateId],
    );
    const row = rows[0];
    if (!row?.dek) throw new SubjectErasedError(candidateId);
    return { keyId: row.key_id, dek: this.unwrap({ dek: row.dek, wrapped: row.wrapped }) };
  }

  private wrap(dek: Buffer): Buffer {
    if (!this.masterKey) return Buffer.from(dek);
    const { iv, ciphertext, tag } = encrypt(this.masterKey, dek, Buffer.from('candidate-dek', 'utf8'));
    return Buffer.concat([iv, tag, ciphertext]);
  }

  private unwrap(row: { dek: Buffer; wrapped: boolean }): Buffer {
    if (!row.wrapped) return Buffer.from(row.dek);
    if (!this.masterKey)
      throw new MasterKeyError('candidate keys are wrapped but PRIVACY_MASTER_KEY is not set');
    try {
      return decrypt(
        this.masterKey,
        row.dek.subarray(0, IV_BYTES),
        row.dek.subarray(IV_BYTES + TAG_BYTES),
        row.dek.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
        Buffer.from('candidate-dek', 'utf8'),
      );
    } catch {
      throw new MasterKeyError(
        'a candidate key does not unwrap: PRIVACY_MASTER_KEY is not the one it was wrapped with',
      );
    }
  }
}
