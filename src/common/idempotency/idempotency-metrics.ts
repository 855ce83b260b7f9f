import { counter } from '../metrics/metrics';
import type { BeginResult } from './idempotency.service';

export const idempotencyRequests = counter<'outcome'>({
  name: 'idempotency_requests_total',
  help: 'POSTs with an Idempotency-Key: new (executed), replayed (first answer sent again), conflict (409, still running), mismatch (422, other body)',
  labelNames: ['outcome'],
});

export const OUTCOME_LABEL: Record<BeginResult['kind'], string> = {
  execute: 'new',
  replay: 'replayed',
  in_progress: 'conflict',
  mismatch: 'mismatch',
};
