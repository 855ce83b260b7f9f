import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, runServiceExpectingFailure } from './utils/process';

describe('the service as a process', () => {
  it.each([
    [{ PORT: 'abc' }, ['PORT']],
    [{ NODE_ENV: 'production' }, ['DATABASE_URL', 'API_KEYS', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/db' }, ['API_KEYS']],
    [{ NODE_ENV: 'production', API_KEYS: 'ops:0123456789abcdef0123' }, ['DATABASE_URL']],
  ])('refuses to boot with %j and names %j', async (env, names) => {
    const { code, output } = await runServiceExpectingFailure(env);
    expect(code).not.toBe(0);
    expect(output).toContain('Invalid configuration');
    for (const name of names) expect(output).toMatch(new RegExp(`^\\s+- ${name}: `, 'm'));
  });

  it('on embedded defaults: prints the Swagger URL and a generated key, keeps data across a restart, stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payments-restart-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as another user that must reach the data dir
    const env = { PORT: '0', HOST: '127.0.0.1', EMBEDDED_DATABASE_DIR: join(dir, 'pg'), LOG_LEVEL: 'warn' };
    try {
      const first = await runService(env);
      const key = /Authorization: Bearer (\S+)/.exec(first.output())?.[1];
      expect(first.output()).toContain(`Swagger UI: ${first.url}/docs`);
      expect(key).toMatch(/^dev_/);
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/v1/customers`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: 'persist@example.com' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect(await first.stop()).toBe(0);
      expect(first.output()).toContain('SIGTERM received');

      const second = await runService(env);
      const key2 = /Authorization: Bearer (\S+)/.exec(second.output())?.[1];
      // The dev key survives the restart (Swagger UI's remembered key keeps working); the banner says how to rotate it.
      expect(key2).toBe(key);
      expect(readFileSync(join(dir, 'dev-api-key'), 'utf8').trim()).toBe(key);
      expect(second.output()).toContain(`kept in ${join(dir, 'dev-api-key')}, delete that file for a new one`);
      const found = await fetch(`${second.url}/v1/customers/${id}`, { headers: { authorization: `Bearer ${key2}` } });
      expect(found.status).toBe(200);
      expect(await found.json()).toMatchObject({ id, email: 'persist@example.com' });
      expect(await second.stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
