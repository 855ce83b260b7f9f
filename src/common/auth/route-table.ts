import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_REQUIREMENT, AccessRequirement } from './required-scope.decorator';

/** `METHOD /path` (as Fastify names the route) -> what the route declared; null = nothing declared. */
export type RouteTable = Map<string, AccessRequirement | null>;

const asArray = (value: string | string[] | undefined) => (Array.isArray(value) ? value : [value ?? '']);
const joinPath = (...parts: string[]) =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

/**
 * Every Nest route with its declared access, read from the same metadata Nest registers routes from.
 * Built once at boot, so the check at onRequest time is a map lookup.
 */
export function buildRouteTable(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): RouteTable {
  const table: RouteTable = new Map();
  for (const { instance, metatype } of discovery.getControllers()) {
    if (!instance || !metatype) continue;
    const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined);
    const prototype = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const requirement = reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_REQUIREMENT, [handler, metatype]) ?? null;
      for (const prefix of prefixes) for (const path of asArray(paths)) table.set(`${method} ${joinPath(prefix, path)}`, requirement);
    }
  }
  return table;
}

/** What the route matched by Fastify requires; undefined for routes Nest does not own (Swagger UI, 404). */
export function lookupRoute(table: RouteTable, method: string, url: string | undefined): AccessRequirement | null | undefined {
  if (url === undefined) return undefined;
  const key = (m: string) => `${m} ${url}`;
  // Fastify answers HEAD from the GET route.
  if (table.has(key(method))) return table.get(key(method));
  if (method === 'HEAD' && table.has(key('GET'))) return table.get(key('GET'));
  return table.get(key('ALL'));
}
