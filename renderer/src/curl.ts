import type { DeliveryDetail, RelayStatusView } from '../../shared/contract.ts';

export const SIGNATURE_PLACEHOLDER = 'sha256=<sign with your secret>';
const WEBHOOK_PATH = '/webhooks/level';

/** Quotes for a POSIX shell: everything inside single quotes is literal, except the quote itself. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The URL Level calls: the public (tunnel) URL when known, else the local receiver. */
export function webhookUrl(status: RelayStatusView | undefined): string | undefined {
  const publicUrl = status?.publicUrl?.trim();
  if (publicUrl) return publicUrl.includes('/webhooks/') ? publicUrl : `${publicUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
  return status?.receiverUrl;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

/**
 * A curl command that sends the stored body again, like Level did. Only the content type is
 * copied from the original headers (never anything redacted or secret); a signature, if the
 * original had one, becomes a placeholder to sign with your own secret.
 */
export function curlCommand(delivery: Pick<DeliveryDetail, 'headers' | 'body' | 'path'>, url: string): string {
  const contentType = header(delivery.headers, 'content-type');
  const lines = [`curl -sS -X POST ${shellQuote(url)}`];
  lines.push(`  -H ${shellQuote(`Content-Type: ${contentType && contentType !== '[redacted]' ? contentType : 'application/json'}`)}`);
  if (header(delivery.headers, 'x-level-signature') !== undefined) lines.push(`  -H ${shellQuote(`X-Level-Signature: ${SIGNATURE_PLACEHOLDER}`)}`);
  lines.push(`  --data-binary ${shellQuote(delivery.body ?? '')}`);
  return lines.join(' \\\n');
}
