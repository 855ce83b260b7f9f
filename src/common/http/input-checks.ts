import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FieldError, ProblemException, ValidationProblem } from '../errors/problem';

/** Deepest JSON nesting a request body may have (objects and arrays count alike; the top level is 1). */
export const MAX_JSON_DEPTH = 32;

/** Fastify route config (Nest: `@RouteConfig({ nullable: ['field'] })`): top-level body fields where null is documented. */
export interface InputChecksRouteConfig {
  nullable?: readonly string[];
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests deeper than `max`, by one linear scan of the raw bytes that stops at the first
 * bracket too many. It runs before anything parses or walks the body: recursive walkers (the validation
 * pipe, canonical JSON, the Stripe encoder, PostgreSQL's json input) overflow their stack or stall the
 * event loop on a few megabytes of `[[[[`. Bytes suffice: in UTF-8 no byte of a multi-byte character is
 * an ASCII bracket, quote or backslash.
 */
export function jsonDepthExceeds(body: Uint8Array | string, max = MAX_JSON_DEPTH): boolean {
  const at = typeof body === 'string' ? (i: number) => body.charCodeAt(i) : (i: number) => body[i];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

export const tooDeep = () =>
  new ProblemException(400, 'too_deep', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels; no request of this API needs that.`);

// With the u flag a surrogate class matches only unpaired halves (a valid pair is one code point).
const UNSAFE_TEXT = /\0|[\uD800-\uDFFF]/u;
const MAX_REPORTED = 20;

function textProblem(text: string): string | undefined {
  if (!UNSAFE_TEXT.test(text)) return undefined;
  return text.includes('\0') ? 'must not contain a NUL character (\\u0000)' : 'must not contain an unpaired UTF-16 surrogate';
}

/**
 * Every string of a request (body, metadata keys and values, query, path parameters) that PostgreSQL
 * could not store (NUL) or the Stripe encoder could not send (lone surrogates), and every explicit null in
 * a body: null is not absence (`amount: null` must not mean "refund everything"), so it is refused unless
 * the route documents it for that field. Nested values are named by their path (`metadata.orderId`).
 */
export function findInputProblems(value: unknown, field: string, nullable: readonly string[] = [], out: FieldError[] = []): FieldError[] {
  if (out.length >= MAX_REPORTED) return out;
  if (typeof value === 'string') {
    const message = textProblem(value);
    if (message) out.push({ field: field || 'body', message });
  } else if (value === null) {
    if (!nullable.includes(field)) out.push({ field: field || 'body', message: 'must not be null: leave the field out instead' });
  } else if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) out.push({ field: field || key, message: `keys ${keyProblem}` });
      else findInputProblems(child, field ? `${field}.${key}` : key, nullable, out);
    }
  }
  return out;
}

/**
 * One check of everything a request brings, before any guard, pipe, handler or Stripe call sees it
 * (Fastify's preValidation runs once the body is parsed). The depth bound itself is enforced earlier,
 * in the JSON body parser, on the raw bytes (see json-body.ts).
 */
export function registerInputChecks(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const nullable = (request.routeOptions.config as InputChecksRouteConfig).nullable;
    const problems = findInputProblems(request.params, '');
    // Query values are strings (or arrays of strings): a null cannot be written in a query string.
    findInputProblems(request.query, '', [], problems);
    if (request.body !== undefined) findInputProblems(request.body, '', nullable, problems);
    done(problems.length ? new ValidationProblem(problems) : undefined);
  });
}
