import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresBinaries, letPostgresUserReach, startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * With DATABASE_URL set, the suite runs against that server; without it, against one embedded
 * PostgreSQL started here. Either way each test file creates (and drops) its own database.
 */
export default async function globalSetup() {
  // Tests that stop and start a PostgreSQL of their own run the embedded binaries in either mode.
  letPostgresUserReach(embeddedPostgresBinaries());
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const db = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'payments-test-pg-')), database: 'postgres' });
  process.env.TEST_ADMIN_DATABASE_URL = db.url;
  (globalThis as Record<string, unknown>).__EMBEDDED_TEST_PG__ = db;
}
