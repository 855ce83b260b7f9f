import { StripeApiError } from './errors';
import { Param, Params, int } from './params';
import type { ListObject } from './objects';

/** Cursor pagination over a newest-first array, as Stripe's list endpoints. */
export function paginate<T extends { id: string }>(items: T[], params: Params, url: string): ListObject<T> {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw new StripeApiError(400, `Invalid limit: must be between 1 and 100.`, {
      code: 'parameter_invalid_integer',
      param: 'limit',
    });
  }
  const cursorIndex = (param: string): number => {
    const id = params[param];
    const index = items.findIndex((o) => o.id === id);
    if (index < 0) {
      throw new StripeApiError(404, `No such object: '${id}'`, { code: 'resource_missing', param });
    }
    return index;
  };
  let data: T[];
  let hasMore: boolean;
  if (params.starting_after) {
    const start = cursorIndex('starting_after') + 1;
    data = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  } else if (params.ending_before) {
    const end = cursorIndex('ending_before');
    const start = Math.max(0, end - limit);
    data = items.slice(start, end);
    hasMore = start > 0;
  } else {
    data = items.slice(0, limit);
    hasMore = limit < items.length;
  }
  return { object: 'list', data, has_more: hasMore, url };
}

/** `created=<unix>` or `created[gt|gte|lt|lte]=<unix>`, as Stripe's list endpoints filter. */
export function matchesCreated(created: number, filter: Param | undefined): boolean {
  if (filter === undefined || filter === '') return true;
  if (typeof filter === 'string') return created === Number(filter);
  if (Array.isArray(filter)) return true;
  if (filter.gt !== undefined && !(created > Number(filter.gt))) return false;
  if (filter.gte !== undefined && !(created >= Number(filter.gte))) return false;
  if (filter.lt !== undefined && !(created < Number(filter.lt))) return false;
  if (filter.lte !== undefined && !(created <= Number(filter.lte))) return false;
  return true;
}
