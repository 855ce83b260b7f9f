export type CardOutcome =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; declineCode: string; message: string; blocked?: boolean }
  | {
      kind: 'authenticate';
      /** Off-session charges: declined (authentication_required), succeed, or succeed once set up off-session. */
      offSession: 'decline' | 'succeed' | 'if_set_up';
      /** What the issuer answers once 3-D Secure is completed (default: approves). */
      afterAuth?: CardOutcome;
    }
  | { kind: 'refund_fail' }
  | { kind: 'refund_pending' };

export interface TestCard {
  brand: string;
  last4: string;
  outcome: CardOutcome;
}

const ok: CardOutcome = { kind: 'succeed' };
const declined = (declineCode: string, message = 'Your card was declined.', code = 'card_declined'): CardOutcome => ({
  kind: 'decline',
  code,
  declineCode,
  message,
});

const authenticate = (offSession: 'decline' | 'succeed' | 'if_set_up', afterAuth?: CardOutcome): CardOutcome => ({
  kind: 'authenticate',
  offSession,
  afterAuth,
});

const DECLINES: Record<string, [string, CardOutcome]> = {
  chargeDeclined: ['0002', declined('generic_decline')],
  chargeDeclinedInsufficientFunds: ['9995', declined('insufficient_funds', 'Your card has insufficient funds.')],
  chargeDeclinedLostCard: ['9987', declined('lost_card')],
  chargeDeclinedStolenCard: ['9979', declined('stolen_card')],
  chargeDeclinedExpiredCard: ['0069', declined('expired_card', 'Your card has expired.', 'expired_card')],
  chargeDeclinedIncorrectCvc: ['0127', declined('incorrect_cvc', "Your card's security code is incorrect.", 'incorrect_cvc')],
  chargeDeclinedProcessingError: [
    '0119',
    declined('processing_error', 'An error occurred while processing your card. Try again in a little bit.', 'processing_error'),
  ],
  chargeDeclinedFraudulent: ['0019', declined('fraudulent')],
};

/** Stripe's documented test PaymentMethod ids and what they do. */
export const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', outcome: ok },
  pm_card_visa_debit: { brand: 'visa', last4: '5556', outcome: ok },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: ok },
  pm_card_amex: { brand: 'amex', last4: '8431', outcome: ok },
  pm_card_radarBlock: {
    brand: 'visa',
    last4: '0019',
    outcome: { ...(declined('fraudulent') as object), blocked: true } as CardOutcome,
  },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184', outcome: authenticate('decline') },
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3220', outcome: authenticate('decline') },
  pm_card_authenticationRequiredOnSetup: { brand: 'visa', last4: '3155', outcome: authenticate('if_set_up') },
  pm_card_authenticationRequiredSetupForOffSession: { brand: 'visa', last4: '0446', outcome: authenticate('succeed') },
  pm_card_authenticationRequiredChargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '3178',
    outcome: authenticate('decline', declined('insufficient_funds', 'Your card has insufficient funds.')),
  },
  pm_card_refundFail: { brand: 'visa', last4: '5126', outcome: { kind: 'refund_fail' } },
  pm_card_pendingRefund: { brand: 'visa', last4: '7726', outcome: { kind: 'refund_pending' } },
};
for (const [name, [last4, outcome]] of Object.entries(DECLINES)) {
  TEST_CARDS[`pm_card_${name}`] = { brand: 'visa', last4, outcome };
  TEST_CARDS[`pm_card_visa_${name}`] = { brand: 'visa', last4, outcome };
}

const ZERO_DECIMAL = ['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'];

/** Minimum charge per currency in minor units (Stripe's published list; others default to 50). */
const MINIMUMS: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  chf: 50,
  nzd: 50,
  sgd: 50,
  hkd: 400,
  dkk: 250,
  nok: 300,
  sek: 300,
  pln: 200,
  czk: 1500,
  huf: 17500,
  ron: 200,
  bgn: 100,
  mxn: 1000,
  brl: 50,
  inr: 50,
  aed: 200,
  thb: 1000,
  myr: 200,
  jpy: 50,
  krw: 500,
  clp: 500,
  vnd: 12000,
  xaf: 300,
  xof: 300,
  bif: 1000,
  djf: 100,
  gnf: 4500,
  kmf: 250,
  mga: 2500,
  pyg: 3500,
  rwf: 500,
  ugx: 2000,
  vuv: 60,
  xpf: 60,
};

export function isSupportedCurrency(currency: string): boolean {
  return currency in MINIMUMS;
}

export function minimumAmount(currency: string): number {
  return MINIMUMS[currency] ?? 50;
}

export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL.includes(currency);
}

/** "$0.50" / "¥50" style amount as Stripe prints it in messages. */
export function formatAmount(amount: number, currency: string): string {
  if (isZeroDecimal(currency)) return `${amount} ${currency}`;
  const major = (amount / 100).toFixed(2);
  return currency === 'usd' ? `$${major}` : `${major} ${currency}`;
}
