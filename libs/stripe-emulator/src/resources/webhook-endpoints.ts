import { Emulator, API_VERSION } from '../core/emulator';
import { invalid } from '../core/errors';
import { newId, randomToken } from '../core/ids';
import { paginate } from '../core/list';
import { Params, bool, mergeMetadata, required, str, stringList } from '../core/params';
import type { WebhookEndpointObject } from '../core/objects';
import { Router } from '../core/router';
import { DeletedObject } from '../core/store';

function validUrl(params: Params): string {
  const url = String(required(params, 'url'));
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalid(`Invalid URL: ${url}`, 'url_invalid', 'url');
  }
  return url;
}

function events(params: Params): string[] {
  const list = stringList(params.enabled_events);
  if (!list.length) required(params, 'enabled_events');
  return list;
}

export function registerWebhookEndpoints(router: Router, em: Emulator): void {
  router.add('POST', '/v1/webhook_endpoints', ({ params }) => {
    const secret = `whsec_${randomToken(32)}`;
    const endpoint = em.store.put<WebhookEndpointObject>({
      id: newId('we'),
      object: 'webhook_endpoint',
      api_version: str(params, 'api_version') ?? API_VERSION,
      application: null,
      created: em.nowSec(),
      description: str(params, 'description') ?? null,
      enabled_events: events(params),
      livemode: false,
      metadata: mergeMetadata({}, params.metadata),
      status: 'enabled',
      url: validUrl(params),
    });
    em.store.meta(endpoint.id).secret = secret;
    // The secret is shown once, on creation, as Stripe does.
    return { ...endpoint, secret };
  });

  router.add('GET', '/v1/webhook_endpoints/:id', ({ path }) => {
    return em.store.find(path.id, 'webhook_endpoint', 'id');
  });

  router.add('POST', '/v1/webhook_endpoints/:id', ({ path, params }) => {
    const endpoint = em.store.find(path.id, 'webhook_endpoint', 'id');
    if (params.url !== undefined) endpoint.url = validUrl(params);
    if (params.enabled_events !== undefined) endpoint.enabled_events = events(params);
    const description = str(params, 'description');
    if (description !== undefined) endpoint.description = description;
    const disabled = bool(params, 'disabled');
    if (disabled !== undefined) endpoint.status = disabled ? 'disabled' : 'enabled';
    endpoint.metadata = mergeMetadata(endpoint.metadata, params.metadata);
    return endpoint;
  });

  router.add('DELETE', '/v1/webhook_endpoints/:id', ({ path }) => {
    const endpoint = em.store.find(path.id, 'webhook_endpoint', 'id');
    return em.store.put<DeletedObject>({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
  });

  router.add('GET', '/v1/webhook_endpoints', ({ params }) => {
    return paginate(em.store.list('webhook_endpoint'), params, '/v1/webhook_endpoints');
  });
}
