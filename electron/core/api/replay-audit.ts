/**
 * The audit's account of a replay with edits. A replay is an event Level never sent, signed as if
 * it had, so the row says what the event claimed to be (type, alert, time) and exactly which
 * fields differ from the original delivery — enough to tell a fixed typo from an invented alert.
 */

/** Fields listed at most; the rest are counted. */
const MAX_FIELDS = 12;
/** Characters kept of each value shown. */
const MAX_VALUE = 80;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function parse(text: string | Uint8Array | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8')) as Json;
  } catch {
    return undefined;
  }
}

/** Every leaf of a JSON value by its path (`data.severity`, `tags[0]`); an empty object or array is a leaf. */
function leaves(value: Json | undefined, path = '', into = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leaves(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key, into);
  } else if (value !== undefined) {
    into.set(path || '(body)', JSON.stringify(value));
  }
  return into;
}

function shown(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
}

/** `path: old → new` for each field that differs, in the edited body's order, then removed fields. */
export function editedFields(original: string | Uint8Array | undefined, edited: string): string[] {
  const before = leaves(parse(original));
  const after = leaves(parse(edited));
  const changed: string[] = [];
  for (const [path, value] of after) if (before.get(path) !== value) changed.push(`${path}: ${shown(before.get(path))} → ${shown(value)}`);
  for (const [path, value] of before) if (!after.has(path)) changed.push(`${path}: ${shown(value)} → (removed)`);
  return changed;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

export function replayAuditDetail(originalId: number, original: Uint8Array | undefined, edited: string, statusCode: number): string {
  const event = parse(edited);
  const envelope = event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
  const data = envelope.data !== null && typeof envelope.data === 'object' && !Array.isArray(envelope.data) ? envelope.data : {};
  const claims = [
    text(envelope.event_type) ?? 'no event type',
    `alert ${text(data.id) ?? '(none)'}`,
    `occurred_at ${text(envelope.occurred_at) ?? '(none)'}`,
    `event_id ${text(envelope.event_id) ?? '(none)'}`,
  ].join(', ');
  const fields = editedFields(original, edited);
  const listed = fields.slice(0, MAX_FIELDS).join('; ') + (fields.length > MAX_FIELDS ? `; and ${fields.length - MAX_FIELDS} more` : '');
  return `replayed delivery ${originalId} with edits (HTTP ${statusCode}) as ${claims}; changed: ${listed || 'nothing'}`;
}
