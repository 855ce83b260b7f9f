import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureFailure =
  'missing_header' | 'malformed_header' | 'no_v1_signature' | 'timestamp_out_of_tolerance' | 'no_matching_signature';

export interface VerifyOptions {
  secrets: readonly string[];
  toleranceSeconds: number;
  /** Unix seconds; injectable for tests. */
  nowSeconds?: number;
}

const INTEGER = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks a `Stripe-Signature` header over the exact request bytes. Unlike the SDK's constructEvent,
 * a timestamp too far in the FUTURE fails as well as an old one: a pre-dated signed body would
 * otherwise be replayable for as long as it is in the future. Schemes other than v1 are ignored.
 */
export function verifyStripeSignature(
  header: string | string[] | undefined,
  rawBody: Buffer,
  options: VerifyOptions,
): SignatureFailure | null {
  if (typeof header !== 'string' || header.length === 0) return 'missing_header';
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return 'malformed_header';
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !INTEGER.test(value)) return 'malformed_header';
      timestamp = value;
    } else if (key === 'v1' && HEX_SHA256.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined) return 'malformed_header';
  if (signatures.length === 0) return 'no_v1_signature';
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > options.toleranceSeconds) return 'timestamp_out_of_tolerance';

  let matched = false;
  for (const secret of options.secrets) {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
    // Every pair is compared (no early exit); all buffers are 32 bytes, as timingSafeEqual requires.
    for (const signature of signatures) if (timingSafeEqual(expected, signature)) matched = true;
  }
  return matched ? null : 'no_matching_signature';
}
