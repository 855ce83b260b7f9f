import { cachedRead, counter, metricsRegistry } from './metrics';

describe('metrics helpers', () => {
  afterEach(() => jest.useRealTimers());

  it('cachedRead: one read per period however many scrapes, one in flight for concurrent scrapes, failures not kept', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    let reads = 0;
    let fail = false;
    const read = cachedRead(async () => {
      reads++;
      if (fail) throw new Error('database down');
      return reads;
    }, 5000);

    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    jest.setSystemTime(1_004_999);
    expect(await read()).toBe(1);
    expect(reads).toBe(1);

    jest.setSystemTime(1_005_000);
    fail = true;
    await expect(read()).rejects.toThrow('database down');
    fail = false;
    expect(await read()).toBe(3); // the failure was not cached: the next scrape reads again
  });

  it('a metric defined twice under one name is the same metric (no duplicate-registration error)', () => {
    const a = counter({ name: 'test_things_total', help: 'things', labelNames: ['kind'] });
    const b = counter({ name: 'test_things_total', help: 'things', labelNames: ['kind'] });
    expect(b).toBe(a);
    expect(metricsRegistry.getSingleMetric('test_things_total')).toBe(a);
  });
});
