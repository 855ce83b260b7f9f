import { Controller, Get, Header } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import type { AppConfig } from '../../config/configuration';
import { Public } from '../auth/public.decorator';
import { ProblemException } from '../errors/problem';
import type { RequestContextRouteConfig } from '../logging/request-context';
import { renderMetrics } from './metrics';

/** Prometheus scrapes this; public like /health (put it behind the network, not behind an API key). */
@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    this.enabled = config.get('metrics.enabled', { infer: true });
  }

  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  // Logs nothing of its own: spared the request context (see request-context.ts).
  @RouteConfig({ requestContext: false } satisfies RequestContextRouteConfig)
  @ApiOperation({ summary: 'Prometheus metrics in the text format (404 when METRICS_ENABLED=false)' })
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  async metrics(): Promise<string> {
    if (!this.enabled) throw new ProblemException(404, 'not_found', 'Metrics are switched off (METRICS_ENABLED=false).');
    return renderMetrics();
  }
}
