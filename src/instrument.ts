// main.ts's first import: runs before anything loads http, pg or fastify, so OpenTelemetry can patch them.
import { existsSync } from 'node:fs';
import { startTracing } from './common/tracing/tracing';
import { tracingSettings } from './config/configuration';

if (existsSync('.env')) process.loadEnvFile('.env');
startTracing(tracingSettings(process.env));
