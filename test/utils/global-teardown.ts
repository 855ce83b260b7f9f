import { rmSync } from 'node:fs';
import type { EmbeddedDatabase } from '../../src/database/embedded-postgres';

export default async function globalTeardown() {
  const db = (globalThis as Record<string, unknown>).__EMBEDDED_TEST_PG__ as EmbeddedDatabase | undefined;
  if (!db) return;
  await db.stop();
  rmSync(db.dataDir, { recursive: true, force: true });
}
