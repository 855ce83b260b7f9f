/** What an API key may do; each route declares the one it needs (see required-scope.decorator.ts). */
export const SCOPES = ['read', 'write', 'refunds', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An API_KEYS entry without scopes: everything but operator routes (money out stays a scope of its own). */
export const DEFAULT_SCOPES: readonly Scope[] = ['read', 'write', 'refunds'];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
