import { findInputProblems, jsonDepthExceeds } from './input-checks';

describe('jsonDepthExceeds', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('counts objects and arrays alike, the top level being 1', () => {
    expect(jsonDepthExceeds(nest(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nest(33), 32)).toBe(true);
    expect(jsonDepthExceeds(`{"a":${nest(31)}}`, 32)).toBe(false);
    expect(jsonDepthExceeds(`{"a":{"b":${nest(31)}}}`, 32)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[{{{{"\\"[[[['.repeat(20) }), 2)).toBe(false);
  });

  it('reads raw bytes the same way as text (multi-byte characters never look like brackets)', () => {
    const text = `{"a":"é[🙂","b":${nest(3)}}`;
    expect(jsonDepthExceeds(Buffer.from(text), 4)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(text), 3)).toBe(true);
  });

  it('stops at the first bracket too many, whatever follows', () => {
    expect(jsonDepthExceeds('['.repeat(10_000_000), 32)).toBe(true);
  });
});

describe('findInputProblems', () => {
  it('names NULs, lone surrogates and nulls by their path; valid pairs and other text pass', () => {
    expect(findInputProblems({ a: 'x\u0000', b: { c: '\udc00' }, d: null, e: ['ok', '\ud83d\ude42', null], f: 'é' }, '')).toEqual([
      { field: 'a', message: expect.stringMatching(/NUL/) },
      { field: 'b.c', message: expect.stringMatching(/surrogate/) },
      { field: 'd', message: expect.stringMatching(/null/) },
      { field: 'e.2', message: expect.stringMatching(/null/) },
    ]);
  });

  it('names the object whose key is bad, and lets a route declare null meaningful for a field', () => {
    expect(findInputProblems({ metadata: { 'k\u0000': 'v' }, note: null }, '', ['note'])).toEqual([
      { field: 'metadata', message: expect.stringMatching(/^keys must not contain a NUL/) },
    ]);
  });
});
