import { Store, clone } from './store';
import { stringList } from './params';

/** Replaces ids by their objects along dotted paths; `data.x` paths apply to each item of a list. */
export function expand(body: unknown, expandParam: unknown, store: Store): unknown {
  const paths = stringList(expandParam);
  if (!paths.length || !body || typeof body !== 'object') return body;
  const out = clone(body);
  for (const path of paths) walk(out, path.split('.'), store);
  return out;
}

function walk(value: unknown, parts: string[], store: Store): void {
  if (!value || typeof value !== 'object' || !parts.length) return;
  const node = value as Record<string, unknown>;
  if (node.object === 'list' && parts[0] === 'data' && Array.isArray(node.data)) {
    for (const item of node.data) walk(item, parts.slice(1), store);
    return;
  }
  const [head, ...rest] = parts;
  let child = node[head];
  if (typeof child === 'string') {
    const found = store.get(child);
    if (found) node[head] = child = clone(found);
  }
  walk(child, rest, store);
}
