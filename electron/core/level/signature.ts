import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-level-signature';

/**
 * How a delivery's signature checked out. `unsigned`: no secret is configured, so nothing was
 * checked. `previous`: it matched the previous secret during a rotation.
 */
export type SignatureVerdict = 'valid' | 'valid-previous' | 'missing' | 'invalid' | 'unsigned';

export function sign(secret: string, rawBody: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

function matches(secret: string, rawBody: Uint8Array, presented: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Verifies `X-Level-Signature: sha256=<hex>` over the raw body bytes, in constant time. */
export function verifySignature(header: string | undefined, rawBody: Uint8Array, secrets: { current?: string | undefined; previous?: string | undefined }): SignatureVerdict {
  if (!secrets.current && !secrets.previous) return 'unsigned';
  if (!header) return 'missing';
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return 'invalid';
  const presented = Buffer.from(match[1], 'hex');
  if (secrets.current && matches(secrets.current, rawBody, presented)) return 'valid';
  if (secrets.previous && matches(secrets.previous, rawBody, presented)) return 'valid-previous';
  return 'invalid';
}
