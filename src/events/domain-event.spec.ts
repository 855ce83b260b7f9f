import { newDomainEventId } from './domain-event';

describe('newDomainEventId', () => {
  it('is evt_ and 26 Crockford base32 characters, ordered by time', () => {
    const earlier = newDomainEventId(Date.UTC(2026, 10, 29, 12, 0, 0, 0));
    const later = newDomainEventId(Date.UTC(2026, 10, 29, 12, 0, 0, 1));
    expect(earlier).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier.slice(0, 14) < later.slice(0, 14)).toBe(true);
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it('draws a fresh random tail for every id, across refills of its random pool', () => {
    const now = Date.now();
    const tails = new Set(Array.from({ length: 2000 }, () => newDomainEventId(now).slice(14)));
    expect(tails.size).toBe(2000);
  });
});
