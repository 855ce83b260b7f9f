import { Module, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/configuration';
import { MetricsController } from './metrics.controller';
import { collectProcessMetrics } from './metrics';

/** `GET /metrics`; the HTTP duration hook is installed by createApp (it must see every response). */
@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit {
  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  onModuleInit(): void {
    if (this.config.get('metrics.enabled', { infer: true })) collectProcessMetrics();
  }
}
