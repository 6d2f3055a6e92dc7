import { timingSafeEqual } from 'node:crypto';
import { parseDelivery, type Envelope, type LevelAlert } from '../level/envelope.ts';
import { verifySignature, SIGNATURE_HEADER } from '../level/signature.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { AUTOMATION_SECRET_HEADER, parseAutomation } from './automation.ts';

/** Deeper than any Level payload, far shallower than where serialising it would overflow the stack. */
export const MAX_JSON_DEPTH = 200;

export interface WebhookSecrets {
  current?: string | undefined;
  previous?: string | undefined;
  automation?: string | undefined;
}

/** A delivery checked and parsed, or why it is refused. `delivery` carries the signature verdict either way. */
export type Verified =
  | { ok: true; delivery: InboundDelivery; envelope: Envelope; alert: LevelAlert | undefined; notes: readonly string[] }
  | { ok: false; delivery: InboundDelivery; statusCode: number; reason: string };

/** Level's signed webhook: signature first, then JSON, then the envelope's schema. */
export function verifyWebhook(delivery: InboundDelivery, signatureHeader: string | undefined, secrets: WebhookSecrets): Verified {
  const body = delivery.body ?? new Uint8Array();
  const signed = { ...delivery, signature: verifySignature(signatureHeader, body, secrets) };
  const refuse = (statusCode: number, reason: string): Verified => ({ ok: false, delivery: signed, statusCode, reason });
  if (signed.signature === 'missing') return refuse(401, `missing ${SIGNATURE_HEADER} header: a webhook secret is configured`);
  if (signed.signature === 'invalid') return refuse(401, 'bad signature: Level signs with a different secret than the one saved here');
  if (jsonNestingExceeds(body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep: no Level event is`);
  const parsed = parseDelivery(body, delivery.receivedAt);
  if (!parsed.ok) return parsed.status === 400 ? refuse(...notJson(delivery, parsed.reason)) : refuse(parsed.status, parsed.reason);
  return { ok: true, delivery: signed, envelope: parsed.envelope, alert: parsed.alert, notes: parsed.notes };
}

/**
 * A Level automation's HTTP request: a shared-secret header instead of a signature. A re-run of a
 * stored one (no header, not from the network) was checked when it first came in.
 */
export function verifyAutomation(delivery: InboundDelivery, secretHeader: string | undefined, expected: string | undefined): Verified {
  const refuse = (statusCode: number, reason: string): Verified => ({ ok: false, delivery, statusCode, reason });
  if (!expected) return refuse(403, 'the automation endpoint is off: set an automation secret in the relay first');
  if (delivery.signature !== 'not-checked' || secretHeader !== undefined) {
    if (!secretHeader) return refuse(401, `missing ${AUTOMATION_SECRET_HEADER} header: add it to the automation's HTTP request action`);
    if (!sameSecret(secretHeader, expected)) return refuse(401, `wrong ${AUTOMATION_SECRET_HEADER}: the automation sends a different secret than the one saved here`);
  }
  const body = delivery.body ?? new Uint8Array();
  if (jsonNestingExceeds(body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  const parsed = parseAutomation(body, delivery.receivedAt);
  if (!parsed.ok) return parsed.status === 400 ? refuse(...notJson(delivery, parsed.reason)) : refuse(parsed.status, parsed.reason);
  return { ok: true, delivery: { ...delivery, signature: 'shared-secret' }, envelope: parsed.envelope, alert: parsed.alert, notes: parsed.notes };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given.trim());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * Level does not document the content type it sends, so a verified body that parses as JSON is
 * taken whatever its Content-Type says; only a body that is not JSON is refused for its type.
 */
function notJson(delivery: InboundDelivery, reason: string): [number, string] {
  const type = delivery.headers['content-type'];
  if (isJsonContentType(type)) return [400, reason];
  return [415, `unsupported content type ${JSON.stringify(type ?? '')} and the body is not JSON (${reason}): send application/json`];
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
