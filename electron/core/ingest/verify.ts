import { timingSafeEqual } from 'node:crypto';
import { verifySignature, SIGNATURE_HEADER } from '../level/signature.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { AUTOMATION_SECRET_HEADER } from './automation.ts';

/** Deeper than any Level payload, far shallower than where serialising it would overflow the stack. */
export const MAX_JSON_DEPTH = 200;

export interface WebhookSecrets {
  current?: string | undefined;
  previous?: string | undefined;
  automation?: string | undefined;
}

/** Who sent a delivery, checked: `delivery` carries the signature verdict either way. */
export type Authenticated = { ok: true; delivery: InboundDelivery } | { ok: false; delivery: InboundDelivery; statusCode: number; reason: string };

/** Level's signed webhook: the signature, before anything in the body is looked at. */
export function authenticateWebhook(delivery: InboundDelivery, signatureHeader: string | undefined, secrets: WebhookSecrets): Authenticated {
  const body = delivery.body ?? new Uint8Array();
  const signed = { ...delivery, signature: verifySignature(signatureHeader, body, secrets) };
  const refuse = (statusCode: number, reason: string): Authenticated => ({ ok: false, delivery: signed, statusCode, reason });
  if (signed.signature === 'missing') return refuse(401, `missing ${SIGNATURE_HEADER} header: a webhook secret is configured`);
  if (signed.signature === 'invalid') return refuse(401, 'bad signature: Level signs with a different secret than the one saved here');
  return { ok: true, delivery: signed };
}

/**
 * A Level automation's HTTP request: a shared-secret header instead of a signature. A re-run of a
 * stored one (no header, not from the network) was checked when it first came in.
 */
export function authenticateAutomation(delivery: InboundDelivery, secretHeader: string | undefined, expected: string | undefined): Authenticated {
  const refuse = (statusCode: number, reason: string): Authenticated => ({ ok: false, delivery, statusCode, reason });
  if (!expected) return refuse(403, 'the automation endpoint is off: set an automation secret in the relay first');
  if (delivery.signature !== 'not-checked' || secretHeader !== undefined) {
    if (!secretHeader) return refuse(401, `missing ${AUTOMATION_SECRET_HEADER} header: add it to the automation's HTTP request action`);
    if (!sameSecret(secretHeader, expected)) return refuse(401, `wrong ${AUTOMATION_SECRET_HEADER}: the automation sends a different secret than the one saved here`);
  }
  return { ok: true, delivery: { ...delivery, signature: 'shared-secret' } };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given.trim());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Counts how deeply arrays and objects nest in JSON text, stopping as soon as `max` is passed. */
export function jsonNestingExceeds(body: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index]!;
    if (inString) {
      if (byte === 0x5c)
        index++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}
