import { Emulator } from '../core/emulator';
import { matchesCreated, paginate } from '../core/list';
import { bool, str, stringList } from '../core/params';
import { Router } from '../core/router';

function typeMatcher(pattern: string): (type: string) => boolean {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (type) => type.startsWith(prefix);
  }
  return (type) => type === pattern;
}

export function registerEvents(router: Router, em: Emulator): void {
  router.add('GET', '/v1/events/:id', ({ path }) => {
    return em.store.find(path.id, 'event', 'id');
  });

  router.add('GET', '/v1/events', ({ params }) => {
    const type = str(params, 'type');
    const patterns = [...(type ? [type] : []), ...stringList(params.types)].map(typeMatcher);
    const delivered = bool(params, 'delivery_success');
    const items = em.store.list(
      'event',
      (e) =>
        (!patterns.length || patterns.some((m) => m(e.type))) &&
        (delivered === undefined || (e.pending_webhooks === 0) === delivered) &&
        matchesCreated(e.created, params.created),
    );
    return paginate(items, params, '/v1/events');
  });
}
