import { invalid } from '../core/errors';
import { Params, int, missingParam, required } from '../core/params';
import { formatAmount, isSupportedCurrency, minimumAmount } from './test-cards';

/** Stripe's amount rules: positive integer, currency minimum, at most 8 digits. */
export function validateAmount(params: Params, currency: string, name = 'amount'): number {
  const amount = int(params, name);
  if (amount === undefined) return missingParam(name);
  if (amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount_too_small', name);
  if (amount < minimumAmount(currency)) {
    throw invalid(`Amount must be at least ${formatAmount(minimumAmount(currency), currency)}`, 'amount_too_small', name);
  }
  if (amount > 99_999_999) {
    throw invalid(`Amount must be no more than ${formatAmount(99_999_999, currency)}`, 'amount_too_large', name);
  }
  return amount;
}

export function validateCurrency(params: Params, name = 'currency'): string {
  const currency = String(required(params, name)).toLowerCase();
  if (!isSupportedCurrency(currency)) {
    throw invalid(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, jpy, ...`,
      'parameter_invalid_string',
      name,
    );
  }
  return currency;
}
