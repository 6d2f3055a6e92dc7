const SECRET_HEADER = /(authorization|cookie|secret|token|api[-_]?key|password|session)/i;

/** Replaces the values of headers that may carry credentials; the signature is kept (it proves nothing without the body's secret). */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) redacted[name] = SECRET_HEADER.test(name) ? '[redacted]' : value;
  return redacted;
}
