/**
 * Descriptors generated from the `stripe` package's type declarations (scripts/generate-shapes.ts):
 * what each object the emulator returns must look like, and which parameters each route takes.
 */
export type TypeDesc =
  | { t: 'string' | 'number' | 'boolean' | 'any' }
  | { t: 'enum'; v: string[] }
  | { t: 'literal'; v: string | number | boolean }
  /** A named object type in `ShapesFile.objects`. `opaque`: an expandable object the emulator never returns. */
  | { t: 'ref'; r: string }
  | { t: 'object'; props: Record<string, PropDesc> }
  | { t: 'array'; of: TypeDesc }
  /** A string-keyed map (metadata). */
  | { t: 'map'; of: TypeDesc }
  /** Stripe's `ApiList<T>`: `{ object: 'list', data: T[], has_more, url }`. */
  | { t: 'list'; of: TypeDesc }
  | { t: 'union'; of: TypeDesc[] };

export interface PropDesc {
  type: TypeDesc;
  /** Declared without `?`: Stripe always sends it. */
  req?: true;
  /** `| null` in the declaration. */
  null?: true;
}

export interface ObjectShape {
  /** The `object` literal (`payment_intent`), when the type has one. */
  object?: string;
  deleted?: true;
  /** Declared outside the emulator's closure: checked as "some object", never completed. */
  opaque?: true;
  props: Record<string, PropDesc>;
}

export interface RouteShape {
  /** The SDK call, e.g. `paymentIntents.create`. */
  sdk: string;
  params: TypeDesc;
  returns: TypeDesc;
}

export interface ShapesFile {
  sdkVersion: string;
  apiVersion: string;
  /** `POST /v1/payment_intents/*` -> route. */
  routes: Record<string, RouteShape>;
  objects: Record<string, ObjectShape>;
  /** Event type -> the object type of `data.object`. */
  events: Record<string, string>;
}

// The SDK's `/v1/payment_intents/${encodeURIComponent(id)}/confirm` and the emulator's
// `/v1/payment_intents/:id/confirm` both become `POST /v1/payment_intents/<star>/confirm`.
export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/\$\{[^}]*\}|:\w+/g, '*')}`;
}
