/** Masks a secret for display: enough to recognise it, never enough to use it. */
export function maskSecret(secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  return secret.length <= 8 ? '••••' : `${secret.slice(0, 4)}••••${secret.slice(-2)}`;
}

/**
 * Replaces every occurrence of each secret in `text` with `mask` (a fixed marker, or one made from
 * the secret, like maskSecret). Secrets shorter than `minLength` are left alone: masking every
 * "abc" in a log line hides more than it protects.
 */
export function hideSecrets(text: string, secrets: Iterable<string | undefined>, mask: string | ((secret: string) => string), minLength = 1): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= minLength) result = result.split(secret).join(typeof mask === 'string' ? mask : mask(secret));
  }
  return result;
}
