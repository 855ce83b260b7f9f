/**
 * Stripe's amount rules, checked before any Stripe call. Amounts are integers in the currency's
 * smallest unit (USD 10.00 = 1000, JPY 500 = 500). Minimums from Stripe's published list.
 */
export const MAX_AMOUNT = 99_999_999; // 8 digits

// prettier-ignore
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);

/** Supported currencies with their minimum charge, in minor units. */
// prettier-ignore
export const MINIMUM_AMOUNTS: Readonly<Record<string, number>> = {
  usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, chf: 50, nzd: 50, sgd: 50, hkd: 400, dkk: 250, nok: 300,
  sek: 300, pln: 200, czk: 1500, huf: 17500, ron: 200, bgn: 100, mxn: 1000, brl: 50, inr: 50, aed: 200,
  thb: 1000, myr: 200, jpy: 50, krw: 500, clp: 500, vnd: 12000, xaf: 300, xof: 300, bif: 1000, djf: 100,
  gnf: 4500, kmf: 250, mga: 2500, pyg: 3500, rwf: 500, ugx: 2000, vuv: 60, xpf: 60,
};

export const SUPPORTED_CURRENCIES = Object.keys(MINIMUM_AMOUNTS).sort();

export function isSupportedCurrency(currency: string): boolean {
  return Object.hasOwn(MINIMUM_AMOUNTS, currency);
}

export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL_CURRENCIES.has(currency);
}

/** "0.50 usd" / "50 jpy": how an amount reads to a human. */
export function formatAmount(amount: number, currency: string): string {
  return isZeroDecimal(currency) ? `${amount} ${currency}` : `${(amount / 100).toFixed(2)} ${currency}`;
}

/** The problem with a charge amount, or null when Stripe would accept it. */
export function chargeAmountProblem(amount: number, currency: string): string | null {
  if (!Number.isSafeInteger(amount) || amount < 1) return 'amount must be a positive integer in the smallest currency unit';
  if (amount > MAX_AMOUNT) return `amount must have at most 8 digits (<= ${MAX_AMOUNT})`;
  if (!isSupportedCurrency(currency)) return null; // reported on the currency field
  const minimum = MINIMUM_AMOUNTS[currency];
  if (amount < minimum) return `amount must be at least ${minimum} (${formatAmount(minimum, currency)})`;
  return null;
}
