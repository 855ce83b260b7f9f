import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StripeApiError } from './errors';
import type { EventObject } from './objects';
import type { ObjectShape, PropDesc, RouteShape, ShapesFile, TypeDesc } from './shape-types';

/** Generated from the SDK's declarations by scripts/generate-shapes.ts (`npm run emulator:shapes`). */
export const SHAPES: ShapesFile = JSON.parse(readFileSync(join(__dirname, '..', 'generated', 'shapes.json'), 'utf8'));

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function routeShape(key: string): RouteShape | undefined {
  return SHAPES.routes[key];
}

export function objectShape(name: string): ObjectShape {
  const shape = SHAPES.objects[name];
  if (!shape) throw new Error(`stripe-emulator: no generated shape named ${name}`);
  return shape;
}

/** The declared type of a top-level object, from its `object` (and `deleted`) fields. */
export function typeOfObject(value: Json): TypeDesc | undefined {
  if (value.object === 'list') return { t: 'list', of: { t: 'any' } };
  const deleted = value.deleted === true;
  for (const route of Object.values(SHAPES.routes)) {
    const found = findRef(route.returns, value.object, deleted);
    if (found) return found;
  }
  return undefined;
}

function findRef(desc: TypeDesc, object: unknown, deleted: boolean): TypeDesc | undefined {
  if (desc.t === 'ref') {
    const shape = SHAPES.objects[desc.r];
    return shape?.object === object && !!shape.deleted === deleted ? desc : undefined;
  }
  if (desc.t === 'list') return findRef(desc.of, object, deleted);
  if (desc.t === 'union')
    for (const alt of desc.of) {
      const found = findRef(alt, object, deleted);
      if (found) return found;
    }
  return undefined;
}

/** The alternative of a union a JSON value stands for (an expanded object, an id, a list...). */
export function pickAlternative(desc: TypeDesc, value: unknown): TypeDesc | undefined {
  if (desc.t !== 'union') return desc;
  const alts = desc.of;
  if (Array.isArray(value)) return alts.find((a) => a.t === 'array');
  if (isObject(value)) {
    if (value.object === 'list') return alts.find((a) => a.t === 'list');
    const refs = alts.filter((a): a is { t: 'ref'; r: string } => a.t === 'ref');
    return (
      refs.find((a) => SHAPES.objects[a.r]?.object === value.object && !!SHAPES.objects[a.r]?.deleted === !!value.deleted) ??
      alts.find((a) => a.t === 'ref' || a.t === 'object' || a.t === 'map')
    );
  }
  if (typeof value === 'string') return alts.find((a) => a.t === 'string' || a.t === 'enum' || a.t === 'literal');
  if (typeof value === 'number') return alts.find((a) => a.t === 'number' || a.t === 'literal');
  if (typeof value === 'boolean') return alts.find((a) => a.t === 'boolean' || a.t === 'literal');
  return undefined;
}

function defaultOf(desc: TypeDesc): unknown {
  switch (desc.t) {
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'enum':
      return desc.v[0];
    case 'literal':
      return desc.v;
    case 'array':
      return [];
    case 'map':
    case 'any':
      return {};
    case 'list':
      return { object: 'list', data: [], has_more: false, url: '' };
    case 'object':
      return completeProps({}, desc.props);
    case 'ref': {
      const shape = objectShape(desc.r);
      return shape.opaque ? '' : completeProps({}, shape.props);
    }
    case 'union':
      return defaultOf(desc.of.find((a) => a.t !== 'string') ?? desc.of[0]);
  }
}

function defaultFor(prop: PropDesc): unknown {
  return prop.null ? null : defaultOf(prop.type);
}

function completeProps(value: Json, props: Record<string, PropDesc>): Json {
  const out: Json = {};
  for (const [key, prop] of Object.entries(props)) {
    const v = value[key];
    if (v === undefined) {
      if (prop.req) out[key] = defaultFor(prop);
    } else out[key] = v === null ? (prop.null ? null : defaultOf(prop.type)) : complete(v, prop.type);
  }
  return out;
}

/**
 * Gives a value exactly the declared shape: every declared property present (null, empty or a default
 * when the emulator has nothing better), undeclared ones (removed in the pinned version, or internal) dropped.
 */
export function complete(value: unknown, desc: TypeDesc): unknown {
  if (value === null || value === undefined) return value;
  const alt = pickAlternative(desc, value);
  if (!alt) return value;
  switch (alt.t) {
    case 'ref': {
      const shape = objectShape(alt.r);
      return shape.opaque || !isObject(value) ? value : completeProps(value, shape.props);
    }
    case 'object':
      return isObject(value) ? completeProps(value, alt.props) : value;
    case 'array':
      return Array.isArray(value) ? value.map((v) => complete(v, alt.of)) : value;
    case 'list': {
      if (!isObject(value)) return value;
      const data = Array.isArray(value.data) ? value.data : [];
      return {
        object: 'list',
        data: data.map((item) => complete(item, alt.of.t === 'any' && isObject(item) ? (typeOfObject(item) ?? alt.of) : alt.of)),
        has_more: value.has_more ?? false,
        url: value.url ?? '',
      };
    }
    default:
      return value;
  }
}

/** A top-level object of any type the emulator returns. */
export function completeObject<T>(value: T): T {
  if (!isObject(value)) return value;
  const desc = typeOfObject(value);
  return (desc ? complete(value, desc) : value) as T;
}

/**
 * An event's `data`: `object` as the object type of that event declares it, `previous_attributes` only
 * with fields that type declares. (The envelope the emulator builds is the declared one already.)
 */
export function completeEventData(type: string, data: EventObject['data']): EventObject['data'] {
  const objectType = SHAPES.events[type];
  const object = objectType ? complete(data.object, { t: 'ref', r: objectType }) : completeObject(data.object);
  const declared = objectType ? objectShape(objectType).props : undefined;
  const out: EventObject['data'] = { object };
  if (data.previous_attributes) {
    out.previous_attributes = Object.fromEntries(Object.entries(data.previous_attributes).filter(([k]) => !declared || k in declared));
  }
  return out;
}

function unknownParam(path: string): StripeApiError {
  return new StripeApiError(400, `Received unknown parameter: ${path}`, {
    code: 'parameter_unknown',
    param: path,
    preExecution: true,
  });
}

/** Object-like alternatives of a params type, merged: a key any of them declares is known. */
function paramProps(desc: TypeDesc): Record<string, PropDesc> | 'any' | undefined {
  if (desc.t === 'ref') return objectShape(desc.r).props;
  if (desc.t === 'object') return desc.props;
  if (desc.t === 'map' || desc.t === 'any') return 'any';
  if (desc.t !== 'union') return undefined;
  let merged: Record<string, PropDesc> | undefined;
  for (const alt of desc.of) {
    const props = paramProps(alt);
    if (props === 'any') return 'any';
    if (props) merged = { ...(merged ?? {}), ...props };
  }
  return merged;
}

/** Rejects any parameter the SDK's params type for the route does not declare, named as Stripe does (`items[0][foo]`). */
export function checkParams(value: unknown, desc: TypeDesc, path = ''): void {
  if (value === '' || value === null || value === undefined || typeof value !== 'object') return;
  const arrayAlt = desc.t === 'array' ? desc : desc.t === 'union' ? desc.of.find((a) => a.t === 'array') : undefined;
  const numericKeys = !Array.isArray(value) && Object.keys(value).every((k) => /^\d+$/.test(k));
  if (arrayAlt?.t === 'array' && (Array.isArray(value) || numericKeys)) {
    Object.entries(value).forEach(([i, item]) => checkParams(item, arrayAlt.of, `${path}[${i}]`));
    return;
  }
  const props = paramProps(desc);
  if (props === 'any' || !props) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}[${key}]` : key;
    const prop = props[key];
    if (!prop) throw unknownParam(childPath);
    checkParams(child, prop.type, childPath);
  }
}
