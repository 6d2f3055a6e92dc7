/**
 * Level automations' "HTTP request" action as a second way in. Automations cannot sign, so the
 * request carries a shared secret header, and their body is a template filled with the variables
 * Level documents for automations (https://docs.level.io): there are no alert variables, so the automation names the
 * alert itself and says whether it is active or resolved.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readLevelTime, type Envelope, type LevelAlert } from '../level/envelope.ts';
import { SEVERITY_LEVELS } from '../../../shared/contract.ts';

export const AUTOMATION_PATH = '/webhooks/level/automation';
export const AUTOMATION_SECRET_HEADER = 'x-relay-automation-secret';

/** The template the wizard shows; only documented Level variables. */
export function automationTemplate(): string {
  return JSON.stringify(
    {
      name: 'Disk space low',
      status: 'active',
      severity: 'critical',
      description: 'Raised by the Level automation “Disk space low”',
      device_id: '{{level_device_id}}',
      device_hostname: '{{level_device_hostname}}',
      group_id: '{{level_group_id}}',
      group_path: '{{level_group_path}}',
      time: '{{level_time}}',
    },
    null,
    2,
  );
}

const text = z.string().trim();
const automationSchema = z.object({
  name: text.min(1, 'must name the alert (e.g. "Disk space low")').max(200),
  status: z.enum(['active', 'resolved'], { error: 'must be "active" or "resolved"' }).default('active'),
  severity: z.enum(SEVERITY_LEVELS, { error: `must be one of ${SEVERITY_LEVELS.join(', ')}` }).default('warning'),
  description: text.max(5000).optional(),
  payload: z.unknown().optional(),
  device_id: text.min(1, 'must be {{level_device_id}}'),
  device_hostname: text.optional(),
  group_id: text.optional(),
  group_path: text.optional(),
  /** Distinguishes several alerts of one automation on one device; defaults to the name. */
  key: text.max(200).optional(),
  time: text.optional(),
});

export type AutomationResult = { ok: true; envelope: Envelope; alert: LevelAlert; notes: string[] } | { ok: false; status: 400 | 422; reason: string };

function slug(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80) || 'alert'
  );
}

/** A `{{variable}}` Level did not replace: a typo in the template, named so the user can fix it. */
function unreplacedVariable(value: unknown): string | undefined {
  if (typeof value === 'string') return /\{\{\s*[\w.]+\s*\}\}/.exec(value)?.[0];
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const found = unreplacedVariable(item);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Turns an automation's body into the alert event the pipeline knows. The event id is a hash of
 * the body: the automation's own retries repeat the body and are deduplicated; a later run
 * carries another `{{level_time}}` and is a new event.
 */
export function parseAutomation(rawBody: Uint8Array, receivedAt: number): AutomationResult {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch (error) {
    return { ok: false, status: 400, reason: `bad JSON: ${error instanceof SyntaxError ? error.message : 'body is not valid UTF-8'}` };
  }
  const unreplaced = unreplacedVariable(json);
  if (unreplaced) return { ok: false, status: 422, reason: `Level did not replace ${unreplaced}: check the variable’s spelling in the automation` };
  const parsed = automationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, status: 422, reason: `${issue.path.join('.') || 'body'}: ${issue.message}` };
  }
  const body = parsed.data;
  // Level does not document {{level_time}}'s format: read it like occurred_at, never as local time.
  const time = body.time ? readLevelTime(body.time) : undefined;
  const notes = time?.note ? [time.note.replace('occurred_at', 'time')] : [];
  if (body.time && !time) notes.push(`time ${JSON.stringify(body.time.slice(0, 60))} cannot be read as a time; used the time the relay received it`);
  const occurredAt = time?.iso ?? new Date(receivedAt).toISOString();
  const resolved = body.status === 'resolved';
  const alert: LevelAlert = {
    id: `automation:${body.device_id}:${slug(body.key ?? body.name)}`,
    device_id: body.device_id,
    device_hostname: body.device_hostname,
    name: body.name,
    description: body.description,
    payload: body.payload,
    severity: body.severity,
    is_resolved: resolved,
    started_at: resolved ? undefined : occurredAt,
    resolved_at: resolved ? occurredAt : undefined,
    // Routing prefers the device's group from Level's API; this path is the fallback for enrichment.
    group_path: body.group_path?.replace(/\s*\/\s*/g, ' / '),
  };
  const envelope: Envelope = {
    event_type: resolved ? 'alert_resolved' : 'alert_active',
    event_id: `automation:${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`,
    occurred_at: occurredAt,
    data: { ...alert, id: alert.id },
  };
  return { ok: true, envelope, alert, notes };
}
