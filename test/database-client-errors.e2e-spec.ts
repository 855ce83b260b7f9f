import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { bootApp, TestApp } from './utils/app';

// A PostgreSQL restart or failover sends every connection a FATAL error. The process must survive one that
// reaches a client just handed out by the pool, before TypeORM has attached its listener (see GuardedClient).
describe('database client errors never crash the process', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_ENABLED: 'false', RECONCILE_INTERVAL_SECONDS: '0' } });
  });
  afterAll(() => t?.close());

  it('a checked-out client that emits an error (no pool or TypeORM listener on it) does not throw, and the service keeps answering', async () => {
    const pool = (t.app.get(DataSource).driver as unknown as { master: Pool }).master;
    const client: PoolClient = await pool.connect();
    const fatal = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(() => client.emit('error', fatal)).not.toThrow();
    client.release(fatal);
    const res = await t.request({ url: '/v1/payments?limit=1' });
    expect(res.statusCode).toBe(200);
  });
});
