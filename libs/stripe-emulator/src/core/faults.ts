import { defaultType, docUrl, requestLogUrl } from './errors';
import { newId } from './ids';

export interface Fault {
  id: string;
  count: number;
  method?: string;
  path?: string;
  status?: number;
  error?: { type?: string; message?: string; code?: string };
  headers?: Record<string, string>;
  latencyMs?: number;
  drop?: boolean;
  afterExecute?: boolean;
}

export interface RequestLogEntry {
  id: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number | null;
  replayed: boolean;
  faulted: boolean;
  time: number;
}

export class FaultList {
  private faults: Fault[] = [];

  add(input: Partial<Fault>): Fault {
    const fault: Fault = {
      id: newId('fault'),
      count: Number.isInteger(input.count) && input.count! > 0 ? input.count! : 1,
      method: input.method?.toUpperCase(),
      path: input.path,
      status: input.status,
      error: input.error,
      headers: input.headers,
      latencyMs: input.latencyMs,
      drop: input.drop,
      afterExecute: input.afterExecute,
    };
    this.faults.push(fault);
    return fault;
  }

  /** Consumes one use of the first matching fault. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method === method) && (!f.path || path.startsWith(f.path)));
    if (!fault) return undefined;
    if (--fault.count <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }
}

export function faultBody(fault: Fault, requestId: string): { error: Record<string, unknown> } {
  const status = fault.status ?? 500;
  const type = fault.error?.type ?? defaultType(status);
  const message =
    fault.error?.message ??
    (status === 429
      ? 'Too many requests hit the API too quickly.'
      : status >= 500
        ? 'An unknown error occurred (injected by the emulator).'
        : 'Injected error.');
  const code = fault.error?.code ?? (status === 429 ? 'rate_limit' : status === 402 ? 'card_declined' : undefined);
  const error: Record<string, unknown> = { type, message };
  if (code) Object.assign(error, { code, doc_url: docUrl(code) });
  if (status === 402) error.decline_code = 'generic_decline';
  error.request_log_url = requestLogUrl(requestId);
  return { error };
}
