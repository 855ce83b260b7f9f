import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { bootApp, TestApp } from './utils/app';
import { CHROMIUM_PATH } from './utils/chromium';

const SCREENSHOTS = join(__dirname, '..', '.screenshots', 'docs');

// Security headers (issue #11): helmet's on every answer, no-store on the API, and a CSP Swagger UI renders under.
describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('a /v1 answer (success and error alike): nosniff, Cache-Control no-store, a CSP, no X-Powered-By', async () => {
    for (const res of [await t.request({ url: '/v1/me' }), await t.request({ url: '/v1/me', apiKey: null })]) {
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'content-security-policy': expect.stringContaining("default-src 'self'"),
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expect((await t.request({ url: '/v1/me' })).statusCode).toBe(200);
  });

  it('Swagger UI at /docs renders in Chromium under that policy, without a CSP violation', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(30_000);
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${t.url}/docs`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Payments service' }).waitFor();
      await page.locator('.opblock-tag', { hasText: 'customers' }).first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'docs.png') });
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('DOCS_ENABLED=false: no /docs, no /docs-json', async () => {
    const off = await bootApp({ env: { DOCS_ENABLED: 'false', WEBHOOK_WORKER_ENABLED: 'false' } });
    try {
      expect((await off.request({ url: '/docs', apiKey: null })).statusCode).toBe(404);
      expect((await off.request({ url: '/docs-json', apiKey: null })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});
