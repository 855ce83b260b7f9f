const TTL_MS = 24 * 60 * 60 * 1000;

export interface SavedResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  response?: SavedResponse;
}

export type Lookup =
  { kind: 'new' } | { kind: 'replay'; response: SavedResponse } | { kind: 'mismatch' } | { kind: 'in_flight' };

/** Keys are scoped to the API key and expire after 24 h of the emulator's clock. */
export class IdempotencyStore {
  private entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  begin(apiKey: string, key: string, fingerprint: string): Lookup {
    const id = `${apiKey}\n${key}`;
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt <= this.now()) this.entries.delete(id);
    else if (entry) {
      if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return entry.response ? { kind: 'replay', response: entry.response } : { kind: 'in_flight' };
    }
    this.entries.set(id, { fingerprint, expiresAt: this.now() + TTL_MS });
    return { kind: 'new' };
  }

  finish(apiKey: string, key: string, response: SavedResponse): void {
    const entry = this.entries.get(`${apiKey}\n${key}`);
    if (entry) entry.response = response;
  }

  /** The request never executed, so a retry with the same key must run afresh. */
  release(apiKey: string, key: string): void {
    this.entries.delete(`${apiKey}\n${key}`);
  }

  clear(): void {
    this.entries.clear();
  }

  snapshot(): [string, Entry][] {
    return [...this.entries.entries()].filter(([, e]) => e.response);
  }

  load(entries: [string, Entry][] | undefined): void {
    this.entries = new Map(entries ?? []);
  }
}
