/**
 * The admin door's TLS certificate when it is opened beyond loopback: a self-signed ECDSA P-256
 * certificate made on first start and kept in the data directory, or the files RELAY_TLS_CERT and
 * RELAY_TLS_KEY name. Clients pin its SHA-256 fingerprint instead of trusting a CA.
 *
 * Node can sign but cannot build an X.509 certificate, and no `openssl` binary can be assumed on a
 * user's machine. The candidates on npm (selfsigned, @peculiar/x509) pull in a dozen packages and
 * a global Reflect polyfill; a self-signed certificate is one fixed DER structure (RFC 5280 §4.1),
 * written here in a few lines and checked by Node's own X509Certificate parser and real TLS
 * handshakes in the tests.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const CERT_FILE = 'admin-tls.crt';
export const KEY_FILE = 'admin-tls.key';
const VALID_DAYS = 3650;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** As Node reports it (`AA:BB:…`), which is what clients compare against `cert.fingerprint256`. */
  fingerprint256: string;
  /** Where it came from, for the start-up lines. */
  source: string;
}

function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, content]);
}
const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(text, 'ascii'));
}

function name(commonName: string): Buffer {
  return sequence(der(0x31, sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))));
}

function ipBytes(address: string): Buffer {
  if (net.isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::') ? [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)] : groups(head);
  return Buffer.concat(all.map((group) => Buffer.from(group.padStart(4, '0'), 'hex')));
}

/** A self-signed certificate for `hostNames` (DNS names and IP addresses), valid for ten years. */
export function createSelfSignedCertificate(hostNames: readonly string[], now = new Date()): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  // A positive INTEGER in its shortest form: the first byte below 0x80 and never zero.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const alternativeNames = [...new Set(hostNames)].map((host) => (net.isIP(host) ? der(0x87, ipBytes(host)) : der(0x82, Buffer.from(host, 'ascii'))));
  const extensions = der(
    0xa3,
    sequence(
      sequence(oid('2.5.29.17'), der(0x04, sequence(...alternativeNames))),
      // serverAuth only: this key is good for nothing but this door.
      sequence(oid('2.5.29.37'), der(0x04, sequence(oid('1.3.6.1.5.5.7.3.1')))),
    ),
  );
  const subject = name('Level ilert Relay admin door');
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, serial),
    ecdsaWithSha256,
    subject,
    sequence(utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + VALID_DAYS * 86_400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = certificate.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

/**
 * The certificate to serve: the named files when both are given, else the one in the data
 * directory, made on first start. The same certificate on every start keeps pinned tray apps and
 * browsers that accepted it working.
 */
export function loadOrCreateTls(dataDir: string, hostNames: readonly string[], files: { cert?: string; key?: string } = {}): TlsMaterial {
  if (files.cert || files.key) {
    if (!files.cert || !files.key) throw new TlsConfigError('set both RELAY_TLS_CERT and RELAY_TLS_KEY, or neither');
    return readPair(files.cert, files.key, 'RELAY_TLS_CERT/RELAY_TLS_KEY');
  }
  const certPath = path.join(dataDir, CERT_FILE);
  const keyPath = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(certPath) || !fs.existsSync(keyPath)) {
    const made = createSelfSignedCertificate(hostNames);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyPath, made.key, { mode: 0o600 });
    fs.writeFileSync(certPath, made.cert, { mode: 0o644 });
  }
  return readPair(certPath, keyPath, 'generated');
}

function readPair(certPath: string, keyPath: string, source: string): TlsMaterial {
  let cert: string;
  let key: string;
  try {
    cert = fs.readFileSync(certPath, 'utf8');
    key = fs.readFileSync(keyPath, 'utf8');
  } catch (error) {
    throw new TlsConfigError(`cannot read the admin door's certificate or key: ${(error as Error).message}`);
  }
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch (error) {
    throw new TlsConfigError(`${certPath} is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    if (!parsed.checkPrivateKey(createPrivateKey(key))) throw new TlsConfigError(`${keyPath} is not the key of ${certPath}`);
  } catch (error) {
    if (error instanceof TlsConfigError) throw error;
    throw new TlsConfigError(`${keyPath} is not a PEM private key: ${(error as Error).message}`);
  }
  return { cert, key, fingerprint256: parsed.fingerprint256, source: source === 'generated' ? certPath : source };
}
