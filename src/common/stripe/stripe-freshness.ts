/**
 * Stripe's clock (unix seconds) when it produced this answer: the `Date` header of the response the SDK
 * attached as `lastResponse`, or the given headers (errors), else our clock.
 */
export function stripeAnswerTime(object: unknown, headers?: Record<string, string | undefined>): number {
  const date =
    (object as { lastResponse?: { headers?: Record<string, string> } } | undefined)?.lastResponse?.headers?.date ?? headers?.date;
  const ms = date ? Date.parse(date) : NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}
