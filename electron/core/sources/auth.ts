import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SourceAuth } from './source.ts';

export type SourceAuthVerdict = { ok: true } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Equal without saying where they differ or how long the secret is: both sides are hashed to 32
 * bytes first, so the compare takes the same time whatever was presented.
 */
function sameText(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** `Basic base64(user:password)`, as Particle's webhook `auth` sends it (RFC 7617). */
function basicCredentials(value: string | undefined): { username: string; password: string } | undefined {
  const match = value?.trim().match(/^basic\s+([A-Za-z0-9+/=]{1,2000})$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A signature as hex or base64; 32 bytes either way, or nothing. */
function signatureBytes(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) {
    const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

/**
 * Checks a source's request against its configured authentication. The reasons go to the delivery
 * log and the 401's body: they say what is wrong and never echo a secret.
 */
export function verifySourceAuth(auth: SourceAuth, headers: Headers, rawBody: Uint8Array): SourceAuthVerdict {
  switch (auth.type) {
    case 'basic': {
      const presented = header(headers, 'authorization');
      if (!presented) return { ok: false, reason: 'missing Authorization header: this source expects HTTP Basic (the webhook’s auth username and password)' };
      const credentials = basicCredentials(presented);
      if (!credentials) return { ok: false, reason: 'the Authorization header is not HTTP Basic' };
      // Both compared every time, so the answer's timing does not tell a right username from a wrong one.
      const userMatches = sameText(credentials.username, auth.username);
      const passwordMatches = sameText(credentials.password, auth.password);
      return userMatches && passwordMatches ? { ok: true } : { ok: false, reason: 'wrong username or password for this source' };
    }
    case 'header': {
      const presented = header(headers, auth.header);
      if (presented === undefined || presented === '') return { ok: false, reason: `missing ${auth.header} header: this source expects its secret there` };
      return sameText(presented.trim(), auth.secret) ? { ok: true } : { ok: false, reason: `wrong ${auth.header}: the sender has a different secret than the one saved here` };
    }
    case 'hmac': {
      const presented = header(headers, auth.header)?.trim();
      if (!presented) return { ok: false, reason: `missing ${auth.header} header: this source expects an HMAC-SHA256 signature of the body there` };
      if (!presented.toLowerCase().startsWith(auth.prefix.toLowerCase())) return { ok: false, reason: `the ${auth.header} header does not start with "${auth.prefix}"` };
      const signature = signatureBytes(presented.slice(auth.prefix.length).trim());
      if (!signature) return { ok: false, reason: `the ${auth.header} header does not hold a SHA-256 signature (64 hex digits or base64)` };
      const expected = createHmac('sha256', auth.secret).update(rawBody).digest();
      return timingSafeEqual(signature, expected)
        ? { ok: true }
        : { ok: false, reason: 'bad signature: the sender signs with a different secret than the one saved here, or the body changed on the way' };
    }
  }
}
