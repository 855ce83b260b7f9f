import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { deleteInBatches } from '../delete-in-batches';
import { canonicalJson } from './canonical-json';
import { preparedQuery } from '../../database/prepared-query';
import { responseText } from './operation-context';

/** How long a request owns its key before another instance may take over (a crashed owner never finishes). */
export const LEASE_SECONDS = 60;
/** Keys are kept at least this long (Stripe keeps its own for 24 h). */
export const RETENTION_HOURS = 24;

export interface IdempotentRequest {
  apiKeyName: string;
  key: string;
  method: string;
  path: string;
  body: unknown;
}

export type BeginResult =
  | { kind: 'execute'; operationId: string }
  | { kind: 'replay'; status: number; text: string }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

interface KeyRow {
  id: string;
  request_hash: string;
  status: 'in_progress' | 'completed';
  locked: boolean;
  response_status: number | null;
  response_text: string | null;
}

/**
 * The `idempotency_keys` table. Every decision is one SQL statement whose outcome PostgreSQL
 * serialises (unique constraint, conditional UPDATE), so several instances behave as one.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onModuleInit() {
    this.sweeper = setInterval(() => void this.deleteExpired().catch(() => undefined), 60 * 60 * 1000).unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
  }

  static hash(method: string, path: string, body: unknown): string {
    return createHash('sha256')
      .update(`${method} ${path} ${canonicalJson(body ?? null)}`)
      .digest('hex');
  }

  async begin(request: IdempotentRequest): Promise<BeginResult> {
    const hash = IdempotencyService.hash(request.method, request.path, request.body);
    for (let attempt = 0; attempt < 3; attempt++) {
      // A new key, or an expired one, is ours at once: the row id becomes the operation id.
      const inserted = await preparedQuery<{ id: string }>(
        this.db,
        'idempotency_begin',
        `INSERT INTO idempotency_keys (id, api_key_name, key, request_method, request_path, request_hash, status, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'in_progress', now() + make_interval(secs => $7), now() + make_interval(hours => $8))
         ON CONFLICT (api_key_name, key) DO UPDATE SET
           id = EXCLUDED.id, request_method = EXCLUDED.request_method, request_path = EXCLUDED.request_path,
           request_hash = EXCLUDED.request_hash, status = 'in_progress', locked_until = EXCLUDED.locked_until,
           response_status = NULL, response_text = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()
         RETURNING id`,
        [randomUUID(), request.apiKeyName, request.key, request.method, request.path, hash, LEASE_SECONDS, RETENTION_HOURS],
      );
      if (inserted.length) return { kind: 'execute', operationId: inserted[0].id };

      const [row] = await preparedQuery<KeyRow>(
        this.db,
        'idempotency_find',
        `SELECT id, request_hash, status, locked_until IS NOT NULL AND locked_until > now() AS locked, response_status, response_text
         FROM idempotency_keys WHERE api_key_name = $1 AND key = $2`,
        [request.apiKeyName, request.key],
      );
      if (!row) continue; // deleted in between (a refused request released its key): try again
      if (row.request_hash !== hash) return { kind: 'mismatch' };
      if (row.status === 'completed') return { kind: 'replay', status: row.response_status!, text: row.response_text ?? 'null' };
      if (row.locked) return { kind: 'in_progress' };
      // The previous attempt ended without a definitive answer (or its owner died): take the lease over.
      const [taken]: [Array<{ id: string }>, number] = await this.db.query(
        `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $2)
         WHERE id = $1 AND status = 'in_progress' AND (locked_until IS NULL OR locked_until < now())
         RETURNING id`,
        [row.id, LEASE_SECONDS],
      );
      return taken.length ? { kind: 'execute', operationId: taken[0].id } : { kind: 'in_progress' };
    }
    return { kind: 'in_progress' };
  }

  /** Stores the definitive answer as the text sent (see responseText); later requests with the key replay it. */
  async complete(operationId: string, status: number, body: unknown): Promise<void> {
    await preparedQuery(
      this.db,
      'idempotency_complete',
      `UPDATE idempotency_keys SET status = 'completed', locked_until = NULL, response_status = $2, response_text = $3 WHERE id = $1`,
      [operationId, status, responseText(body)],
    );
  }

  /** The outcome is unknown (5xx, 429): keep the row so the same request re-executes with the same operation id. */
  async release(operationId: string): Promise<void> {
    await this.db.query(`UPDATE idempotency_keys SET locked_until = NULL WHERE id = $1 AND status = 'in_progress'`, [operationId]);
  }

  /** The request was refused before doing anything (validation): the key is free for a corrected request. */
  async forget(operationId: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE id = $1 AND status = 'in_progress'`, [operationId]);
  }

  /** Deletes completed records past their expiry, in short batches. */
  deleteExpired(): Promise<number> {
    return deleteInBatches(
      this.db,
      `DELETE FROM idempotency_keys WHERE id IN (
         SELECT id FROM idempotency_keys WHERE expires_at < now() AND status = 'completed' LIMIT $1)`,
      [],
    );
  }
}
