import { jsonbOrdered } from './jsonb-order';

describe('jsonbOrdered', () => {
  it('orders keys as jsonb does: shorter first, then by UTF-8 bytes, at every level', () => {
    const ordered = jsonbOrdered({ orderId: '1', b: { zz: 1, a: [{ cc: 1, b: 2 }] }, A: null, é: 'x', z: 'y' });
    expect(JSON.stringify(ordered)).toBe('{"A":null,"b":{"a":[{"b":2,"cc":1}],"zz":1},"z":"y","é":"x","orderId":"1"}');
  });

  it('drops undefined members as JSON does and keeps scalars', () => {
    expect(jsonbOrdered({ a: undefined, b: 1 })).toEqual({ b: 1 });
    expect(jsonbOrdered('text')).toBe('text');
    expect(jsonbOrdered(null)).toBeNull();
  });
});
