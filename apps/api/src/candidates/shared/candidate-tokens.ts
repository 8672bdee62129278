import { Injectable } from '@nestjs/common';
import { ProblemException, verifySecret } from '@feedwerk/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { type IssuedCandidateToken, parseCandidateToken } from './candidate-token';

const unauthorized = (detail: string) =>
  new ProblemException(
    { title: 'Unauthorized', status: 401, detail, code: 'unauthorized' },
    { 'www-authenticate': 'Bearer realm="feedwerk-candidates"' },
  );

/** Stores candidate tokens (hashed) and tells whose a presented token is. */
@Injectable()
export class CandidateTokens {
  constructor(private readonly db: DataSource) {}

  /** Records a token inside the transaction that creates the candidate, so neither exists without the other. */
  async store(tx: EntityManager, candidateId: string, token: IssuedCandidateToken): Promise<void> {
    await tx.query(
      `INSERT INTO candidate_tokens (key_id, candidate_id, salt, hash) VALUES ($1, $2, $3, $4)`,
      [token.keyId, candidateId, token.salt, token.hash],
    );
  }

  /**
   * The candidate an `Authorization: Bearer fwc_...` header belongs to; null without a header.
   * A malformed or unknown token is a 401.
   */
  async candidateOf(header: string | undefined): Promise<string | null> {
    if (header === undefined) return null;
    const match = /^Bearer (\S+)$/.exec(header);
    const parsed = match?.[1] ? parseCandidateToken(match[1]) : null;
    if (!parsed) throw unauthorized('the candidate token is malformed');
    const rows: { candidate_id: string; salt: string; hash: string }[] = await this.db.query(
      `SELECT candidate_id, salt, hash FROM candidate_tokens WHERE key_id = $1`,
      [parsed.keyId],
    );
    const row = rows[0];
    if (!row || !verifySecret(parsed.secret, row.salt, row.hash))
      throw unauthorized('the candidate token is not valid');
    return row.candidate_id;
  }

  static unauthorized = unauthorized;
}
