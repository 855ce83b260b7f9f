import { chargeAmountProblem, formatAmount, isSupportedCurrency, isZeroDecimal, MAX_AMOUNT } from './amount-rules';

describe('amount rules', () => {
  it.each([
    [1000, 'usd'],
    [50, 'usd'],
    [30, 'gbp'],
    [50, 'jpy'],
    [500, 'krw'],
    [MAX_AMOUNT, 'usd'],
  ])('accepts %d %s', (amount, currency) => expect(chargeAmountProblem(amount, currency)).toBeNull());

  it.each([
    [0, 'usd', /positive integer/],
    [-5, 'usd', /positive integer/],
    [10.5, 'usd', /positive integer/],
    [MAX_AMOUNT + 1, 'usd', /at most 8 digits/],
    [49, 'usd', /at least 50 \(0\.50 usd\)/],
    [29, 'gbp', /at least 30 \(0\.30 gbp\)/],
    [49, 'jpy', /at least 50 \(50 jpy\)/],
    [499, 'krw', /at least 500 \(500 krw\)/],
  ])('refuses %d %s', (amount, currency, message) => expect(chargeAmountProblem(amount, currency)).toMatch(message));

  it('knows zero-decimal currencies and formats them without decimals', () => {
    expect(isZeroDecimal('jpy')).toBe(true);
    expect(isZeroDecimal('usd')).toBe(false);
    expect(formatAmount(500, 'jpy')).toBe('500 jpy');
    expect(formatAmount(1050, 'eur')).toBe('10.50 eur');
  });

  it('supports lowercase ISO codes it knows, nothing else', () => {
    expect(isSupportedCurrency('usd')).toBe(true);
    expect(isSupportedCurrency('USD')).toBe(false);
    expect(isSupportedCurrency('xxx')).toBe(false);
    expect(isSupportedCurrency('constructor')).toBe(false);
  });
});
