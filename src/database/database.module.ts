import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/configuration';
import { typeormOptions } from './typeorm-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => {
        const db = config.get('database', { infer: true });
        if (!db.url) throw new Error('DATABASE_URL is not set and no embedded database was started');
        return { ...typeormOptions(db.url, db.poolSize, db.migrationsRun), autoLoadEntities: true, retryAttempts: 2, retryDelay: 500 };
      },
    }),
  ],
})
export class DatabaseModule {}
