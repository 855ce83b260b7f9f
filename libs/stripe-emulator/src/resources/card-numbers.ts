import { StripeApiError } from '../core/errors';
import { Params } from '../core/params';
import { TEST_CARDS, TestCard } from './test-cards';

/** Stripe's documented test card numbers, each with the behaviour of its `pm_card_*` twin. */
const NUMBERS: Record<string, string> = {
  '4242424242424242': 'pm_card_visa',
  '4000056655665556': 'pm_card_visa_debit',
  '5555555555554444': 'pm_card_mastercard',
  '378282246310005': 'pm_card_amex',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000000000009987': 'pm_card_chargeDeclinedLostCard',
  '4000000000009979': 'pm_card_chargeDeclinedStolenCard',
  '4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
  '4000000000000127': 'pm_card_chargeDeclinedIncorrectCvc',
  '4000000000000119': 'pm_card_chargeDeclinedProcessingError',
  '4100000000000019': 'pm_card_radarBlock',
  '4000002760003184': 'pm_card_authenticationRequired',
  '4000000000003220': 'pm_card_threeDSecure2Required',
  '4000002500003155': 'pm_card_authenticationRequiredOnSetup',
  '4000003800000446': 'pm_card_authenticationRequiredSetupForOffSession',
  '4000008260003178': 'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds',
};

const cardError = (message: string, code: string, param: string) => new StripeApiError(402, message, { type: 'card_error', code, param });

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function brandOf(digits: string): string {
  if (digits.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^6(011|5)/.test(digits)) return 'discover';
  return 'unknown';
}

export interface RawCard {
  card: TestCard;
  expMonth: number;
  expYear: number;
}

/**
 * Checks raw card data as Stripe does when Stripe.js creates a PaymentMethod (402 card_error naming the
 * field), then maps the number to its documented test behaviour. Numbers that pass Luhn but are not test
 * cards are declined as real cards used in test mode.
 */
export function readRawCard(card: Params, nowMs: number): RawCard {
  const digits = String(card.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) {
    throw cardError('Your card number is incorrect.', 'incorrect_number', 'card[number]');
  }
  const expMonth = Number(card.exp_month);
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
    throw cardError("Your card's expiration month is invalid.", 'invalid_expiry_month', 'card[exp_month]');
  }
  let expYear = Number(card.exp_year);
  if (!Number.isInteger(expYear)) {
    throw cardError("Your card's expiration year is invalid.", 'invalid_expiry_year', 'card[exp_year]');
  }
  if (expYear < 100) expYear += 2000;
  const now = new Date(nowMs);
  const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + 1];
  if (expYear < year) {
    throw cardError("Your card's expiration year is in the past.", 'invalid_expiry_year', 'card[exp_year]');
  }
  if (expYear === year && expMonth < month) {
    throw cardError("Your card's expiration month is in the past.", 'invalid_expiry_month', 'card[exp_month]');
  }
  if (card.cvc !== undefined && !/^\d{3,4}$/.test(String(card.cvc))) {
    throw cardError("Your card's security code is invalid.", 'invalid_cvc', 'card[cvc]');
  }
  const testId = NUMBERS[digits];
  const known: TestCard = testId
    ? TEST_CARDS[testId]
    : {
        brand: brandOf(digits),
        last4: digits.slice(-4),
        outcome: {
          kind: 'decline',
          code: 'card_declined',
          declineCode: 'test_mode_live_card',
          message: 'Your card was declined. Your request was in test mode, but used a non test card.',
        },
      };
  return { card: { ...known, brand: brandOf(digits), last4: digits.slice(-4) }, expMonth, expYear };
}

/** The card data Stripe only accepts from a publishable key (Stripe.js), when the parameters carry a card number. */
export function rawCardParams(params: Params): Params | undefined {
  const card = params.card;
  return typeof card === 'object' && !Array.isArray(card) && 'number' in card ? card : undefined;
}
