import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { DEMO_CUSTOMER_ID } from '../src/checkout/checkout.service';
import { bootApp, TestApp } from './utils/app';
import { CHROMIUM_PATH } from './utils/chromium';
import { until } from './utils/wait';

// Final states land here for people to look at (ignored by git).
const SCREENSHOTS = join(__dirname, '..', '.screenshots', 'checkout');

interface Sent {
  url: string;
  method: string;
  body: string;
}

describe('the checkout page in a real browser (Chromium, sandbox: emulator + real PostgreSQL)', () => {
  let t: TestApp;
  let browser: Browser;
  const sent: Sent[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    t = await bootApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function openCheckout(): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('request', (req) => sent.push({ url: req.url(), method: req.method(), body: req.postData() ?? '' }));
    await page.goto(`${t.url}/checkout`);
    await page.getByRole('button', { name: 'Pay', exact: true }).waitFor();
    await until(
      'config loaded',
      () => page.locator('#amount').textContent(),
      (text) => text === '$20.00',
    );
    return page;
  }

  async function enterCard(page: Page, number: string) {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry').fill('12/34');
    await page.getByLabel('CVC').fill('123');
  }

  async function statusShows(page: Page, word: string, shot: string) {
    await until(
      `status "${word}"`,
      () => page.getByRole('status').textContent(),
      (text) => text === word,
      30_000,
    );
    await page.screenshot({ path: join(SCREENSHOTS, `${shot}.png`), fullPage: true });
  }

  const latestDemoPayment = async () => (await t.request({ url: `/v1/payments?customerId=${DEMO_CUSTOMER_ID}&limit=1` })).json().data[0];

  it('4242 4242 4242 4242 pays and shows succeeded, which the service recorded from the webhook', async () => {
    const page = await openCheckout();
    await enterCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await statusShows(page, 'succeeded', '1-visa-succeeded');
    expect(await latestDemoPayment()).toMatchObject({ status: 'succeeded', amount: 2000, currency: 'usd' });
    await page.context().close();
  });

  it('a decline (4000 0000 0000 9995) shows Stripe’s message; 4242 in the same form then succeeds', async () => {
    const page = await openCheckout();
    await enterCard(page, '4000000000009995');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await statusShows(page, 'requires_payment_method', '2a-insufficient-funds');
    expect(await page.getByRole('alert').textContent()).toBe('Your card has insufficient funds.');
    const declined = await latestDemoPayment();
    expect(declined).toMatchObject({ status: 'requires_payment_method', lastPaymentError: { declineCode: 'insufficient_funds' } });

    await enterCard(page, '4242424242424242');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await statusShows(page, 'succeeded', '2b-then-visa-succeeded');
    expect(await page.getByRole('alert').textContent()).toBe('');
    // The same payment, paid with the second card.
    expect(await latestDemoPayment()).toMatchObject({ id: declined.id, status: 'succeeded' });
    await page.context().close();
  });

  it.each([
    ['Complete', 'succeeded', '3a-3ds-complete'],
    ['Fail', 'requires_payment_method', '3b-3ds-fail'],
  ])('4000 0027 6000 3184 goes through the 3-D Secure page: %s -> %s', async (button, status, shot) => {
    const page = await openCheckout();
    await enterCard(page, '4000002760003184');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL(`${t.url}/checkout/**`);
    await statusShows(page, status, shot);
    expect(await latestDemoPayment()).toMatchObject({ status });
    await page.context().close();
  });

  it('saves a card, then pays with the saved card off-session', async () => {
    const page = await openCheckout();
    await enterCard(page, '4242424242424242');
    await page.getByLabel('Save card for later').check();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await statusShows(page, 'succeeded', '4a-saved-card-first-payment');
    const first = await latestDemoPayment();
    const saved = page.getByRole('button', { name: /Pay with saved card/ });
    await saved.waitFor({ state: 'visible' });
    expect(await saved.textContent()).toBe('Pay with saved card (visa •••• 4242)');
    await saved.click();
    // The off-session charge is a new payment: wait for it, not for the first one's status.
    await until('second payment', latestDemoPayment, (p) => p.id !== first.id, 30_000);
    await statusShows(page, 'succeeded', '4b-saved-card-off-session');
    const second = await latestDemoPayment();
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'succeeded', amount: 2000 });
    await page.context().close();
  });

  it('the network log: card numbers went to the emulator only, never to the service', async () => {
    const toService = sent.filter((r) => r.url.startsWith(t.url));
    const toEmulator = sent.filter((r) => !r.url.startsWith(t.url));
    expect(toService.length).toBeGreaterThan(10);
    // Every number typed above, with or without spaces.
    const numbers = ['4242424242424242', '4242 4242 4242 4242', '4000000000009995', '4000002760003184'];
    for (const r of toService) for (const n of numbers) expect(`${r.url} ${r.body}`).not.toContain(n);
    // The positive control: the same log does see them on their way to the emulator.
    expect(toEmulator.some((r) => r.body.includes('card%5Bnumber%5D=4242424242424242'))).toBe(true);
  });
});
