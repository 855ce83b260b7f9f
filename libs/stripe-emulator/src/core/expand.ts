import { Store, clone } from './store';
import { stringList } from './params';

/** Replaces ids by their objects along dotted paths; `data.x` paths apply to each item of a list. */
export function expand(body: any, expandParam: unknown, store: Store): any {
  const paths = stringList(expandParam);
  if (!paths.length || !body || typeof body !== 'object') return body;
  const out = clone(body);
  for (const path of paths) walk(out, path.split('.'), store);
  return out;
}

function walk(node: any, parts: string[], store: Store): void {
  if (!node || typeof node !== 'object' || !parts.length) return;
  if (node.object === 'list' && parts[0] === 'data' && Array.isArray(node.data)) {
    for (const item of node.data) walk(item, parts.slice(1), store);
    return;
  }
  const [head, ...rest] = parts;
  let value = node[head];
  if (typeof value === 'string') {
    const found = store.get(value);
    if (found) node[head] = value = clone(found);
  }
  walk(value, rest, store);
}
