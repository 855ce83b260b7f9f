import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { activeTraceId } from '../tracing/tracing';
import { Redactor } from './redact';
import { requestContext } from './request-context';

export interface LoggerOptions {
  level: string;
  /** Exact secret values to scrub besides the shapes Redactor knows (API keys). */
  secrets?: string[];
  destination?: DestinationStream;
}

// Header values that are secret by name whatever their shape (pino walks only these paths: cheap).
const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.client_secret',
  '*.clientSecret',
];

/**
 * Scrubs each finished JSON line before it is written: whatever a line holds (messages, serialized
 * errors and stacks, request objects, nested fields), nothing secret-shaped leaves the process, and
 * only lines that are actually written pay for it.
 */
function redacting(destination: DestinationStream, redactor: Redactor): DestinationStream & Unredacted {
  return {
    write: (line: string) => destination.write(redactor.string(line)),
    writeUnredacted: (text: string) => destination.write(text),
  };
}

interface Unredacted {
  writeUnredacted(text: string): void;
}

/**
 * Writes text to the logger's destination as is, queued behind every line logged before it: the asynchronous
 * destination may still be writing those when a direct process.stdout.write would already be out (its flush()
 * returns at once unless it buffers). The start-up banner (it shows the API key, which the redactor would scrub)
 * goes this way so it really is the last thing printed. Destinations of tests go to stdout directly.
 */
export function writeAfterLogs(logger: Logger, text: string): void {
  const stream = (logger as unknown as Record<symbol, Partial<Unredacted> | undefined>)[pino.symbols.streamSym];
  if (stream?.writeUnredacted) stream.writeUnredacted(text);
  else process.stdout.write(text);
}

// Fastify's own "Server listening at" line repeats the banner's first line (main.ts prints it last): debug.
const FASTIFY_LISTENING = 'Server listening at ';

/** The one pino logger of the process: JSON lines, request id on each, secrets scrubbed. */
export function createLogger({ level, secrets = [], destination }: LoggerOptions): Logger {
  const root: Logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_PATHS, censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method, level) {
          if (level === 30 && typeof args[0] === 'string' && args[0].startsWith(FASTIFY_LISTENING))
            return this.debug(...(args as [string]));
          return method.apply(this, args);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
      // Only the root logger (services, Nest) needs the id from the context: the only children are
      // Fastify's request loggers, which bind it themselves (else every access line had it twice).
      mixin(_fields, _level, logger) {
        const ctx = logger === root ? requestContext.getStore() : undefined;
        const traceId = activeTraceId();
        const fields: { requestId?: string; traceId?: string } = ctx ? { requestId: ctx.requestId } : {};
        if (traceId) fields.traceId = traceId;
        return fields;
      },
    },
    redacting(destination ?? pino.destination({ dest: 1, sync: false }), new Redactor(secrets)),
  );
  return root;
}
const STARTUP_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Routes Nest's own logging (and `new Logger(Context)` in services) through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]) {
    // Nest passes the context as the last string argument, and a stack before it for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    // ~60 lines of module and route wiring at every start buried the banner (URL, key): debug only.
    if (level === 'info' && context && STARTUP_CHATTER.has(context)) level = 'debug';
    const isObject = message !== null && typeof message === 'object' && !(message instanceof Error);
    // `logger.warn({ fields }, 'text')` puts the text first in rest; for a string message at error level a second string is a stack.
    const second = typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const stack = !isObject && level === 'error' ? second : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack) fields.stack = stack;
    if (message instanceof Error) fields.err = message;
    else if (isObject) Object.assign(fields, message);
    const text = typeof message === 'string' ? message : message instanceof Error ? message.message : second;
    this.logger[level](fields, text);
  }
}
