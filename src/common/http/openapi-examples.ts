import type { OpenAPIObject } from '@nestjs/swagger';
import { DEMO_CATALOG } from '@app/stripe-emulator';

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  example?: unknown;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
};

// An id of an object that exists only in someone's account: as an example it 404s (or 400s) in the sandbox.
// Stripe's test payment methods (pm_card_visa...) exist everywhere and stay.
const ACCOUNT_ID = /^(cus|price|prod|pi|sub|in|re|ch|seti|evt)_[A-Za-z0-9]+$/;

// The sandbox's demo catalog has the same ids in every sandbox: those examples work as they stand.
const SEEDED = new Set<unknown>([DEMO_CATALOG.product.id, ...DEMO_CATALOG.prices.map((p) => p.id)]);

const isDeadId = (property: Schema) =>
  property.format === 'uuid' ||
  (typeof property.example === 'string' && ACCOUNT_ID.test(property.example) && !SEEDED.has(property.example));

/**
 * Swagger UI's "Try it out" fills a body from the schema, and every uuid becomes 3fa85f64-..., an id no
 * sandbox has. Each JSON request body gets an example made of what works as it stands: required
 * properties and those with their own example, never an id of an object that may not exist (the caller
 * fills those in from an earlier answer). Id-shaped property examples of request schemas are dropped.
 */
export function sandboxSafeExamples(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{
      requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
    }>) {
      const media = operation?.requestBody?.content?.['application/json'];
      const ref = media?.schema?.$ref?.split('/').pop();
      const schema = ref ? schemas[ref] : undefined;
      if (!media || !schema?.properties || media.example !== undefined) continue;
      const example: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties)) {
        if (isDeadId(property)) {
          delete property.example;
          continue;
        }
        const value = property.example ?? property.default ?? property.enum?.[0];
        if (value !== undefined && (property.example !== undefined || schema.required?.includes(name))) example[name] = value;
      }
      media.example = example;
    }
  }
}
