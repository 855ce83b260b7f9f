// Secrets have recognisable shapes; scrubbing by shape catches them wherever they hide (messages,
// error stacks, nested objects), which path-based redaction alone cannot.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // Stripe's own error messages mask keys as sk_test_****abcd: the visible tail is still key material.
  [/\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+/g, '$1_$2_[REDACTED]'],
  [/\bwhsec_[A-Za-z0-9]+/g, 'whsec_[REDACTED]'],
  [/\b((?:pi|seti|src)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+/g, '$1_secret_[REDACTED]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]'],
];
// 13 to 19 digits, optionally grouped by spaces or dashes: the shapes of a card number (PAN). Not the
// fraction of a decimal (a responseTime of 3.1234567890123 is no card).
const PAN_CANDIDATE = /(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])/g;
// Where a bare JSON number may start: a replacement there must stay valid JSON, so it is quoted.
const JSON_NUMBER_POSITION = /[:,[]\s*$/;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function looksLikeCardNumber(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  return /^\d{13,19}$/.test(digits) && luhnValid(digits);
}

export class Redactor {
  private readonly literals: string[];

  /** @param literals exact secret values to hide as well (the configured API keys, for instance). */
  constructor(literals: string[] = []) {
    this.literals = literals.filter((s) => s.length >= 8);
  }

  string(input: string): string {
    let out = input;
    for (const secret of this.literals) out = out.split(secret).join('[REDACTED]');
    for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
    return out.replace(PAN_CANDIDATE, (match, offset: number, whole: string) => {
      if (!looksLikeCardNumber(match)) return match;
      return JSON_NUMBER_POSITION.test(whole.slice(Math.max(0, offset - 4), offset)) ? '"[REDACTED_PAN]"' : '[REDACTED_PAN]';
    });
  }
}
