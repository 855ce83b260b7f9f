import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger } from './logger';
import { requestContext } from './request-context';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', secrets, destination }), lines };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('logger redaction', () => {
  it('scrubs secrets and card numbers from messages, fields, nested objects and errors', async () => {
    const { logger, lines } = capture(['orders_key_0123456789abcdef']);
    logger.info(
      {
        headers: { authorization: 'Bearer orders_key_0123456789abcdef', 'content-type': 'application/json' },
        stripe: { key: 'sk_test_51Habcdefghijklmnop', restricted: 'rk_live_abcdefghij123', webhook: 'whsec_abcdefABCDEF0123' },
        intent: { client_secret: 'pi_3Abc_secret_XyZ123', note: 'pi_3Abc_secret_XyZ123 was returned' },
        card: '4242 4242 4242 4242',
        cards: ['5555555555554444', 'ref 4000-0025-0000-3155 end'],
      },
      'calling with key orders_key_0123456789abcdef and card 4242424242424242',
    );
    logger.error(new Error('Stripe said: Invalid API Key provided: sk_live_abcdefghijklmnop'));
    logger.warn('Invalid API Key provided: sk_test_****ator');
    await flush();
    const out = lines.join('\n');
    for (const secret of [
      'orders_key_0123456789abcdef',
      'sk_test_51Habcdefghijklmnop',
      'rk_live_abcdefghij123',
      'whsec_abcdefABCDEF0123',
      'XyZ123',
      '4242 4242 4242 4242',
      '4242424242424242',
      '5555555555554444',
      '4000-0025-0000-3155',
      'sk_live_abcdefghijklmnop',
      '****ator',
    ]) {
      expect(out).not.toContain(secret);
    }
    const first = JSON.parse(lines[0]);
    expect(first.headers).toEqual({ authorization: '[REDACTED]', 'content-type': 'application/json' });
    expect(first.stripe.key).toBe('sk_test_[REDACTED]');
    expect(first.card).toBe('[REDACTED_PAN]');
    expect(first.cards[1]).toBe('ref [REDACTED_PAN] end');
    expect(first.msg).toBe('calling with key [REDACTED] and card [REDACTED_PAN]');
  });

  it('keeps every line valid JSON: decimals are left alone, a card-shaped bare number becomes a string', async () => {
    const { logger, lines } = capture();
    logger.info({ responseTime: 3.424242424242424, pan: 4242424242424242 }, 'done');
    await flush();
    expect(JSON.parse(lines[0])).toMatchObject({ responseTime: 3.424242424242424, pan: '[REDACTED_PAN]' });
  });

  it('leaves ordinary numbers alone: ids, amounts, non-Luhn digit runs', async () => {
    const { logger, lines } = capture();
    logger.info({ amount: 123456789, orderRef: '1234567890123' }, 'order 1234567890123 for 4999');
    await flush();
    expect(JSON.parse(lines[0])).toMatchObject({ amount: 123456789, orderRef: '1234567890123', msg: 'order 1234567890123 for 4999' });
  });

  it('adds the request id of the current request to every line, also through the Nest logger', async () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    requestContext.run({ requestId: 'req-77' }, () => nest.log('charging', 'PaymentsService'));
    nest.warn('outside any request', 'Boot');
    await flush();
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', requestId: 'req-77', context: 'PaymentsService', msg: 'charging' });
    expect(JSON.parse(lines[1])).not.toHaveProperty('requestId');
  });

  it('writes the request id once on the lines of a request logger that binds it (Fastify access lines)', async () => {
    const { logger, lines } = capture();
    const requestLog = logger.child({ requestId: 'req-88' });
    requestContext.run({ requestId: 'req-88' }, () => requestLog.info('request completed'));
    await flush();
    expect(lines[0].match(/"requestId"/g)).toEqual(['"requestId"']);
    expect(JSON.parse(lines[0])).toMatchObject({ requestId: 'req-88', msg: 'request completed' });
  });

  it('keeps the message of a Nest logger call with fields, and the stack of an error', async () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    nest.warn({ code: 'inbox_unavailable', events: 3 }, 'Inbox insert failed', 'WebhookInboxWriter');
    nest.error('Unhandled error', 'Error: boom\n    at handler', 'Errors');
    await flush();
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'warn',
      context: 'WebhookInboxWriter',
      code: 'inbox_unavailable',
      events: 3,
      msg: 'Inbox insert failed',
    });
    expect(JSON.parse(lines[1])).toMatchObject({
      level: 'error',
      context: 'Errors',
      msg: 'Unhandled error',
      stack: 'Error: boom\n    at handler',
    });
  });
});
