import { containsCardNumber } from './validators';

describe('containsCardNumber', () => {
  it.each(['4242424242424242', 'card 4242 4242 4242 4242 thanks', '5555-5555-5555-4444', { note: 'x', pan: '378282246310005' }])(
    'finds %j',
    (value) => expect(containsCardNumber(value)).toBe(true),
  );
  it.each(['order 1234567890123', 'pm_card_visa', '4242424242424241', { orderId: '1842' }, 42, null])('ignores %j', (value) =>
    expect(containsCardNumber(value)).toBe(false),
  );
});
