import { StripeApiError, invalid } from './errors';

/**
 * A form-encoded request body as qs decodes it: strings, arrays (`items[0][price]`) and hashes
 * (`metadata[order]`). The readers below narrow a parameter to what a route needs, answering 400 as
 * Stripe does when it is something else.
 */
export type Param = string | Param[] | Params;
export type Params = { [key: string]: Param | undefined };

/** A missing required parameter: 400 parameter_missing before anything runs. */
export function missingParam(name: string): never {
  throw new StripeApiError(400, `Missing required param: ${name}.`, {
    code: 'parameter_missing',
    param: name,
    preExecution: true,
  });
}

export function required(params: Params, name: string): Param {
  const value = params[name];
  if (value === undefined || value === '') missingParam(name);
  return value;
}

/** A required string: missing or '' answers parameter_missing, a hash or an array an invalid string. */
export function requiredStr(params: Params, name: string): string {
  const value = required(params, name);
  if (typeof value !== 'string') throw invalid(`Invalid string: ${name}`, undefined, name);
  return value;
}

export function int(params: Params, name: string, param = name): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    throw new StripeApiError(400, `Invalid integer: ${typeof raw === 'string' ? raw : JSON.stringify(raw)}`, {
      code: 'parameter_invalid_integer',
      param,
      preExecution: true,
    });
  }
  return Number(raw);
}

export function bool(params: Params, name: string): boolean | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalid(`Invalid boolean: ${raw}`, 'parameter_invalid_boolean', name);
}

const isOneOf = <T extends string>(allowed: readonly T[], value: Param): value is T =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value);

export function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (!isOneOf(allowed, raw)) {
    throw invalid(`Invalid ${name}: must be one of ${allowed.join(', ')}`, undefined, name);
  }
  return raw;
}

/** '' clears a string field on update, as Stripe does. */
export function str(params: Params, name: string): string | null | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  if (typeof raw !== 'string') throw invalid(`Invalid string: ${name}`, undefined, name);
  return raw;
}

const isHash = (value: Param): value is Params => typeof value === 'object' && !Array.isArray(value);

/** A nested hash (`card[number]`, `recurring[interval]`); absent or '' gives undefined, a string or an array is invalid. */
export function hash(params: Params, name: string, param = name): Params | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (!isHash(raw)) throw invalid('Invalid object', undefined, param);
  return raw;
}

/** A list of hashes (`items[0][price]`); qs gives an object with numeric keys past its array limit, read the same. */
export function hashList(params: Params, name: string): Params[] {
  const raw = params[name];
  if (raw === undefined || raw === '') return [];
  const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : Object.values(raw);
  return values.map((value, i) => {
    if (value === undefined || !isHash(value)) throw invalid('Invalid object', undefined, `${name}[${i}]`);
    return value;
  });
}

export function stringList(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object' && value) return Object.values(value).map(String);
  return [String(value)];
}

/** Merges metadata as Stripe: '' unsets a key, an empty `metadata=` clears all. */
export function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === undefined) return current;
  if (update === '') return {};
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw invalid('Invalid metadata: must be a hash of string keys and values.', undefined, 'metadata');
  }
  const next = { ...current };
  const entries: [string, unknown][] = Object.entries(update);
  for (const [key, value] of entries) {
    if (key.length > 40) {
      throw invalid(`Metadata keys can have a maximum length of 40 characters.`, undefined, `metadata[${key}]`);
    }
    if (value === '' || value === null) {
      delete next[key];
      continue;
    }
    if (typeof value !== 'string') throw invalid('Invalid metadata value.', undefined, `metadata[${key}]`);
    if (value.length > 500) {
      throw invalid(`Metadata values can have a maximum length of 500 characters.`, undefined, `metadata[${key}]`);
    }
    next[key] = value;
  }
  if (Object.keys(next).length > 50) {
    throw invalid('You can specify up to 50 keys in metadata.', undefined, 'metadata');
  }
  return next;
}
