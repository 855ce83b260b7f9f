import { bootApp, TestApp } from './utils/app';
import { signatureHeader, stripeEvent, WEBHOOK_SECRET } from './utils/stripe-signing';

describe('rate limits: failed authentications per IP, requests per API key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({
      env: {
        RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '20',
        RATE_LIMIT_PER_KEY_PER_SECOND: '5',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WEBHOOK_WORKER_ENABLED: 'false',
      },
    });
  });
  afterAll(() => t.close());

  it('30 wrong keys from one IP: 401 twenty times, then 429 with Retry-After, even for the right key; other IPs unaffected', async () => {
    const remoteAddress = '10.0.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await t.request({ url: '/v1/me', apiKey: `wrong_key_${i}_0123456789abcdef`, remoteAddress });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(res.json()).toMatchObject({ status: 429, code: 'too_many_failed_attempts' });
      }
    }
    expect(statuses).toEqual([...Array(20).fill(401), ...Array(10).fill(429)]);
    // Locked out: the right key is not even looked at, so guessing stays blind.
    expect((await t.request({ url: '/v1/me', remoteAddress })).statusCode).toBe(429);
    expect((await t.request({ url: '/v1/me', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
  });

  it('a burst over RATE_LIMIT_PER_KEY_PER_SECOND -> 429 problem+json with Retry-After; another key keeps its own budget', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.request({ url: '/v1/me', remoteAddress: '10.0.1.1' })));
    const limited = answers.filter((a) => a.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    // At most the budget gets through (fewer if this key was used earlier in the same second), not zero:
    // the count each request sees is its own, even when all arrive in one tick.
    const served = answers.filter((a) => a.statusCode === 200).length;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(5);
    expect(limited[0].headers['content-type']).toContain('application/problem+json');
    expect(Number(limited[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0].json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await t.request({ url: '/v1/me', apiKey: 'other_key_0123456789abcdef' })).statusCode).toBe(200);
  });

  it('health is never throttled', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => t.request({ url: '/health/live', apiKey: null, remoteAddress: '10.0.1.1' })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(60).fill(200));
  });

  it('webhook deliveries are not throttled per key, but bad signatures count per IP like failed authentications', async () => {
    const deliver = (secret: string, remoteAddress: string) => {
      const body = JSON.stringify(stripeEvent('customer.updated', { id: 'cus_rl', object: 'customer', metadata: {} }));
      return t.request({
        method: 'POST',
        url: '/v1/webhooks/stripe',
        apiKey: null,
        remoteAddress,
        payload: body,
        headers: { 'content-type': 'application/json', 'stripe-signature': signatureHeader(body, secret) },
      });
    };
    const good = await Promise.all(Array.from({ length: 30 }, () => deliver(WEBHOOK_SECRET, '10.0.2.1')));
    expect(good.map((a) => a.statusCode)).toEqual(Array(30).fill(200));
    const bad: number[] = [];
    for (let i = 0; i < 22; i++) bad.push((await deliver('whsec_wrong_0123456789', '10.0.2.2')).statusCode);
    expect(bad).toEqual([...Array(20).fill(400), 429, 429]);
  });
});
