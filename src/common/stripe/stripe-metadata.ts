import { LOCAL_ID_METADATA_KEY } from '../stripe-sync';

/** The caller's metadata plus our row id, so a webhook can find the row even before the Stripe id is stored. */
export function withLocalId(metadata: Record<string, string> | undefined, localId: string): Record<string, string> {
  return { ...metadata, [LOCAL_ID_METADATA_KEY]: localId };
}

/** Stripe's metadata as the caller sees it: without our bookkeeping key. */
export function callerMetadata(metadata: Record<string, string> | null | undefined): Record<string, string> {
  const { [LOCAL_ID_METADATA_KEY]: _ours, ...rest } = metadata ?? {};
  return rest;
}

export function localIdOf(metadata: Record<string, string> | null | undefined): string | undefined {
  const id = metadata?.[LOCAL_ID_METADATA_KEY];
  return id && /^[0-9a-f-]{36}$/i.test(id) ? id : undefined;
}
