import type { SignatureVerdict } from '../level/signature.ts';

export type DeliverySource = 'webhook' | 'rerun' | 'replay' | 'automation' | 'reconciled' | 'test' | 'app';

/** What the receiver knows about one inbound request once it has decided how to answer it. */
export interface InboundDelivery {
  receivedAt: number;
  source: DeliverySource;
  remoteAddr: string | undefined;
  forwardedFor: string | undefined;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  bodySize: number;
  signature: SignatureVerdict | 'not-checked' | 'shared-secret';
  rerunOf?: number | undefined;
}

/** A delivery the relay makes itself (a re-run, reconciliation, the setup test, an Accept in the app): from no address, not signature-checked. */
export function internalDelivery(
  source: DeliverySource,
  request: { method?: string; path: string; headers?: Record<string, string>; body: Uint8Array; rerunOf?: number; receivedAt?: number },
): InboundDelivery {
  const { method = 'POST', path, headers = {}, body, rerunOf, receivedAt = Date.now() } = request;
  return {
    receivedAt,
    source,
    remoteAddr: undefined,
    forwardedFor: undefined,
    method,
    path,
    headers,
    body,
    bodySize: body.length,
    signature: 'not-checked',
    ...(rerunOf === undefined ? {} : { rerunOf }),
  };
}

export interface RejectedDelivery extends InboundDelivery {
  statusCode: number;
  reason: string;
  eventId?: string | undefined;
  eventType?: string | undefined;
}
