import { SHAPES, pickAlternative } from '../src/core/shapes';
import type { PropDesc, TypeDesc } from '../src/core/shape-types';

/** What a conformance run saw: objects and properties checked, and every deviation from the declared types. */
export class ShapeReport {
  objects = 0;
  properties = 0;
  problems: string[] = [];

  /** Checks a JSON value against a declared type; `where` names it in problems (`POST /v1/customers: .address`). */
  check(value: unknown, desc: TypeDesc, where: string): void {
    this.value(value, desc, where);
  }

  private problem(path: string, message: string): void {
    if (this.problems.length < 5000) this.problems.push(`${path}: ${message}`);
  }

  private props(value: unknown, props: Record<string, PropDesc>, path: string, name: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.problem(path, `expected a ${name} object, got ${JSON.stringify(value)?.slice(0, 60)}`);
    }
    this.objects++;
    const record = value as Record<string, unknown>;
    for (const [key, prop] of Object.entries(props)) {
      if (prop.req && !(key in record)) this.problem(`${path}.${key}`, `missing (required on ${name})`);
    }
    for (const [key, v] of Object.entries(record)) {
      const prop = props[key];
      if (!prop) {
        this.problem(`${path}.${key}`, `not declared on ${name} at the pinned version`);
        continue;
      }
      this.properties++;
      if (v === null) {
        if (!prop.null) this.problem(`${path}.${key}`, `null but not nullable`);
        continue;
      }
      this.value(v, prop.type, `${path}.${key}`);
    }
  }

  private value(value: unknown, desc: TypeDesc, path: string): void {
    const alt = pickAlternative(desc, value);
    if (!alt) return this.problem(path, `${JSON.stringify(value)?.slice(0, 60)} matches none of ${describe(desc)}`);
    switch (alt.t) {
      case 'any':
        return;
      case 'string':
      case 'number':
      case 'boolean':
        if (typeof value !== alt.t) this.problem(path, `expected ${alt.t}, got ${JSON.stringify(value)?.slice(0, 60)}`);
        return;
      case 'enum':
        if (typeof value !== 'string' || !alt.v.includes(value)) {
          this.problem(path, `${JSON.stringify(value)} is not one of the declared values (${alt.v.slice(0, 8).join(', ')}...)`);
        }
        return;
      case 'literal':
        if (value !== alt.v) this.problem(path, `expected ${JSON.stringify(alt.v)}, got ${JSON.stringify(value)}`);
        return;
      case 'array':
        if (!Array.isArray(value)) return this.problem(path, 'expected an array');
        value.forEach((item, i) => this.value(item, alt.of, `${path}[${i}]`));
        return;
      case 'map':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.problem(path, 'expected a map');
        for (const [k, v] of Object.entries(value)) this.value(v, alt.of, `${path}.${k}`);
        return;
      case 'list': {
        const list = value as Record<string, unknown>;
        this.props(
          list,
          {
            object: { type: { t: 'literal', v: 'list' }, req: true },
            data: { type: { t: 'array', of: alt.of }, req: true },
            has_more: { type: { t: 'boolean' }, req: true },
            url: { type: { t: 'string' }, req: true },
          },
          path,
          'list',
        );
        return;
      }
      case 'object':
        return this.props(value, alt.props, path, 'inline object');
      case 'ref': {
        const shape = SHAPES.objects[alt.r];
        if (shape.opaque) {
          if (typeof value !== 'object' || value === null) this.problem(path, `expected a ${alt.r} object`);
          return;
        }
        return this.props(value, shape.props, path, alt.r);
      }
      case 'union':
        return this.value(value, alt, path);
    }
  }
}

function describe(desc: TypeDesc): string {
  if (desc.t === 'union') return desc.of.map(describe).join(' | ');
  if (desc.t === 'ref') return desc.r;
  return desc.t;
}
