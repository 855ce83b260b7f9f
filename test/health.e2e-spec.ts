import { appOnDedicatedPostgres } from './utils/dedicated-postgres';

describe('readiness follows the database', () => {
  const on = appOnDedicatedPostgres();

  it('is 200 while the database answers, 503 problem+json while it is stopped, 200 again after; live stays 200', async () => {
    expect((await on.t.request({ url: '/health/ready', apiKey: null })).statusCode).toBe(200);
    await on.pg.stop();
    const ready = await on.t.request({ url: '/health/ready', apiKey: null });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['content-type']).toContain('application/problem+json');
    expect(ready.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect((await on.t.request({ url: '/health/live', apiKey: null })).statusCode).toBe(200);
    await on.pg.start();
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await on.t.request({ url: '/health/ready', apiKey: null })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  });
});
