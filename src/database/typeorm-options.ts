import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';

export function typeormOptions(url: string, poolSize: number, migrationsRun: boolean): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun,
    migrations,
    migrationsTransactionMode: 'each',
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  };
}
