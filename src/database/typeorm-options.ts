import type { DataSourceOptions } from 'typeorm';
import { GuardedClient } from './guarded-client';
import { migrations } from './migrations';

export function typeormOptions(url: string, poolSize: number, migrationsRun: boolean): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun,
    migrations,
    migrationsTransactionMode: 'each',
    // pg-pool creates its clients from `Client`: see GuardedClient for why ours always listen for errors.
    extra: { max: poolSize, connectionTimeoutMillis: 5000, Client: GuardedClient },
  };
}
