import { databaseUnavailableReason, fromDatabaseOutage } from './database-unavailable';

describe('databaseUnavailableReason', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    // pg-pool, all connections busy past connectionTimeoutMillis: the pool is exhausted.
    [new Error('timeout exceeded when trying to connect'), 'timeout exceeded when trying to connect'],
    [new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    // TypeORM's QueryFailedError keeps the server's error as driverError.
    [Object.assign(new Error('terminating connection due to administrator command'), { driverError: { code: '57P01' } }), '57P01'],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), '53300'],
    [new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }), '08006'],
  ])('%s -> %s', (error, reason) => {
    expect(databaseUnavailableReason(error)).toBe(reason);
    expect(fromDatabaseOutage(error)).toMatchObject({
      problem: { status: 503, code: 'database_unavailable' },
      headers: { 'Retry-After': '5' },
    });
  });

  it.each([
    Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }),
    Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } }),
    new Error('anything else'),
    'a string',
  ])('%s is not an outage', (error) => {
    expect(databaseUnavailableReason(error)).toBeUndefined();
  });
});
