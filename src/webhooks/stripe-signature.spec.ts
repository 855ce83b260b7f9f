import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { verifyStripeSignature } from './stripe-signature';

const secret = 'whsec_unit_0123456789';
const body = Buffer.from('{"id":"evt_1","object":"event"}');
const now = 1_800_000_000;
const sig = (t: number | string, s = secret, b: Buffer | string = body) => createHmac('sha256', s).update(`${t}.`).update(b).digest('hex');
const verify = (header: string | undefined, secrets = [secret]) =>
  verifyStripeSignature(header, body, { secrets, toleranceSeconds: 300, nowSeconds: now });

describe('verifyStripeSignature', () => {
  it('accepts a v1 signature under any configured secret, in any position', () => {
    expect(verify(`t=${now},v1=${sig(now)}`)).toBeNull();
    expect(verify(`t=${now},v1=${'0'.repeat(64)},v1=${sig(now)}`, ['whsec_other_01234567', secret])).toBeNull();
    expect(verify(`v1=${sig(now)},t=${now}`)).toBeNull();
  });

  it('matches what the official SDK signs', () => {
    const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({ payload: body.toString(), secret, timestamp: now });
    expect(verify(header)).toBeNull();
  });

  it.each([
    [undefined, 'missing_header'],
    ['', 'missing_header'],
    [`t=abc,v1=${sig('abc')}`, 'malformed_header'],
    [`t=${now}.5,v1=${sig(now)}`, 'malformed_header'],
    [`t=-${now},v1=${sig(now)}`, 'malformed_header'],
    [`t=${now},t=${now},v1=${sig(now)}`, 'malformed_header'],
    [`v1=${sig(now)}`, 'malformed_header'],
    ['garbage', 'malformed_header'],
    [`t=${now},v0=${sig(now)}`, 'no_v1_signature'],
    [`t=${now},v1=${sig(now).toUpperCase()}`, 'no_v1_signature'],
    [`t=${now},v1=${sig(now).slice(0, 62)}`, 'no_v1_signature'],
    [`t=${now - 301},v1=${sig(now - 301)}`, 'timestamp_out_of_tolerance'],
    [`t=${now + 301},v1=${sig(now + 301)}`, 'timestamp_out_of_tolerance'],
    [`t=${now},v1=${sig(now, 'whsec_wrong_0123456789')}`, 'no_matching_signature'],
    [`t=${now},v1=${sig(now, secret, '{"id":"evt_2","object":"event"}')}`, 'no_matching_signature'],
  ])('%s -> %s', (header, failure) => {
    expect(verify(header)).toBe(failure);
  });

  it('300 s either way is still inside the tolerance', () => {
    expect(verify(`t=${now - 300},v1=${sig(now - 300)}`)).toBeNull();
    expect(verify(`t=${now + 300},v1=${sig(now + 300)}`)).toBeNull();
  });

  it('with no secret configured nothing passes', () => {
    expect(verify(`t=${now},v1=${sig(now)}`, [])).toBe('no_matching_signature');
  });
});
