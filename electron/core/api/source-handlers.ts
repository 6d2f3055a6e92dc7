import type { z } from 'zod';
import type { Caller, Handlers, sourceInputSchema } from '../../../shared/contract.ts';
import { maskSecret } from '../secret-mask.ts';
import type { SettingsService } from '../settings-service.ts';
import { SOURCE_PATH_PREFIX } from '../ingest/interpret.ts';
import { toIlertEvent } from '../ilert/event-mapping.ts';
import { withLevelTemplates } from '../ilert/level-templates.ts';
import { alertDataSchema } from '../level/envelope.ts';
import type { SourceSetup } from '../setup/source-setup.ts';
import { levelTemplatesSchema, mapSourceEvent, sourceSchema, type SourceConfig } from '../sources/source.ts';

type SourceInput = z.output<typeof sourceInputSchema>;
type SourceMethods = Pick<
  Handlers,
  'listSources' | 'createSource' | 'updateSource' | 'deleteSource' | 'previewSourceTemplates' | 'lastSourceBody' | 'testSource' | 'previewLevelTemplates'
>;

/** What the Level templates preview renders against when nothing is pasted: an alert as Level's webhook sends it. */
const LEVEL_SAMPLE = {
  id: 'sample-alert-1',
  device_id: 'dev_123',
  device_hostname: 'ACME-FS01',
  name: 'Disk space low on C:',
  description: 'C: has 4% free (8 GB of 200 GB).',
  payload: null,
  severity: 'critical',
  is_resolved: false,
  started_at: '2026-01-05T03:12:00Z',
  resolved_at: null,
};

const issuesOf = (error: z.ZodError) => Object.fromEntries(error.issues.map((issue) => [issue.path.map(String).join('.'), issue.message]));

function secretOf(auth: SourceConfig['auth']): string {
  return auth.type === 'basic' ? auth.password : auth.secret;
}

function view(source: SourceConfig, withHints: boolean) {
  const secret = secretOf(source.auth);
  return {
    kind: source.kind,
    name: source.name,
    slug: source.slug,
    path: `${SOURCE_PATH_PREFIX}${source.slug}`,
    target: source.target,
    auth: {
      type: source.auth.type,
      username: source.auth.type === 'basic' ? source.auth.username : undefined,
      header: source.auth.type === 'basic' ? undefined : source.auth.header,
      prefix: source.auth.type === 'hmac' ? source.auth.prefix : undefined,
      secret: { set: true, hint: withHints ? maskSecret(secret) : undefined },
    },
    particle: source.particle,
    templates: source.templates,
  };
}

/** The UI never holds a saved secret: one left out keeps what `saved` has, when the type is the same. */
function withSavedSecret(input: SourceInput, saved: SourceConfig | undefined): Record<string, unknown> {
  const auth = input.auth;
  const keep = saved && saved.auth.type === auth.type ? secretOf(saved.auth) : undefined;
  if (auth.type === 'basic') return { ...input, auth: { ...auth, password: auth.password || keep || '' } };
  return { ...input, auth: { ...auth, secret: auth.secret || keep || '' } };
}

/** `sources.3.templates.details` → `templates.details`, for the one source the caller edited. */
function errorsOf(errors: Record<string, string>, index: number): Record<string, string> {
  const prefix = `sources.${index}.`;
  return Object.fromEntries(Object.entries(errors).map(([key, message]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, message]));
}

/**
 * Sources are settings (one list, validated as a whole so slugs stay unique); these methods edit
 * one at a time, keep saved secrets the UI never sees, and are audited like any settings change.
 */
export function sourceHandlers(settings: SettingsService, audit: (caller: Caller, action: string, detail: string) => void, setup: SourceSetup): SourceMethods {
  const save = (next: Record<string, unknown>[], index: number, caller: Caller, detail: string) => {
    // The saved secrets filled in are the core's to validate, with the rest of the list.
    const result = settings.update({ sources: next as z.infer<typeof sourceInputSchema>[] });
    if (!result.ok) return { ok: false as const, errors: errorsOf(result.errors, index) };
    audit(caller, 'settings', detail);
    return { ok: true as const, source: view(settings.current.sources[index]!, true) };
  };
  return {
    listSources: (_input, caller) => settings.current.sources.map((source) => view(source, caller.role === 'admin')),
    createSource: (input, caller) => {
      const current = settings.current.sources;
      const added = { ...withSavedSecret(input, undefined), addedAt: Date.now() };
      return save([...current, added], current.length, caller, `added the ${input.kind} source “${input.name}” at ${SOURCE_PATH_PREFIX}${input.slug}`);
    },
    updateSource: ({ slug, source }, caller) => {
      const current = settings.current.sources;
      const index = current.findIndex((candidate) => candidate.slug === slug);
      if (index < 0) return { ok: false as const, errors: { slug: `no source at ${SOURCE_PATH_PREFIX}${slug}` } };
      const next: Record<string, unknown>[] = [...current];
      next[index] = { ...withSavedSecret(source, current[index]), addedAt: current[index]!.addedAt };
      return save(next, index, caller, `changed the source “${source.name}” (${SOURCE_PATH_PREFIX}${source.slug})`);
    },
    deleteSource: ({ slug }, caller) => {
      const current = settings.current.sources;
      const removed = current.find((source) => source.slug === slug);
      if (!removed) return { deleted: false };
      const result = settings.update({ sources: current.filter((source) => source !== removed) });
      if (!result.ok) throw new Error(Object.values(result.errors).join('; '));
      audit(caller, 'settings', `removed the source “${removed.name}” (${SOURCE_PATH_PREFIX}${slug})`);
      return { deleted: true };
    },
    previewSourceTemplates: ({ source, sample }) => {
      // A preview needs no real secret; the saved one, if any, is not looked at.
      const parsed = sourceSchema.safeParse({ ...source, auth: { ...source.auth, password: 'p'.repeat(16), secret: 's'.repeat(16) } });
      if (!parsed.success) return { ok: false as const, errors: issuesOf(parsed.error) };
      let body: unknown;
      try {
        body = JSON.parse(sample);
      } catch (error) {
        return { ok: false as const, errors: { sample: `not JSON: ${(error as Error).message}` } };
      }
      const mapping = mapSourceEvent(parsed.data, { body, rawBody: Buffer.from(sample), receivedAt: new Date().toISOString() });
      if (!mapping.ok) return { ok: true as const, outcome: 'refused' as const, reason: mapping.reason, notes: [] };
      const event = mapping.event;
      if (event.action === 'ignore') return { ok: true as const, outcome: 'ignore' as const, reason: event.reason, notes: [] };
      return { ok: true as const, outcome: event.action, alertKey: event.alertKey, summary: event.summary, details: event.details, priority: event.priority, notes: event.notes };
    },
    lastSourceBody: ({ slug }) => setup.lastBody(slug),
    testSource: async ({ slug, sample }, caller) => {
      const source = settings.current.sources.find((candidate) => candidate.slug === slug);
      if (!source) return { outcome: 'failed' as const, message: `no source at ${SOURCE_PATH_PREFIX}${slug}: save it first`, hops: [] };
      const result = await setup.test(source, sample);
      audit(caller, 'settings', `sent a test through the source “${source.name}”: ${result.outcome}`);
      return result;
    },
    previewLevelTemplates: ({ templates, sample }) => {
      const parsed = levelTemplatesSchema.safeParse(templates);
      if (!parsed.success) return { ok: false as const, errors: issuesOf(parsed.error) };
      let data: unknown = LEVEL_SAMPLE;
      if (sample?.trim()) {
        try {
          const pasted = JSON.parse(sample) as { data?: unknown };
          // Level's whole webhook body, or only its alert.
          data = pasted && typeof pasted === 'object' && 'data' in pasted ? pasted.data : pasted;
        } catch (error) {
          return { ok: false as const, errors: { sample: `not JSON: ${(error as Error).message}` } };
        }
      }
      const alert = alertDataSchema.safeParse(data);
      if (!alert.success) return { ok: false as const, errors: { sample: `not a Level alert: ${alert.error.issues[0]?.message ?? 'unreadable'}` } };
      const resolved = alert.data.is_resolved === true;
      const occurredAt = new Date().toISOString();
      const body = withLevelTemplates(toIlertEvent(alert.data, resolved, { eventId: 'preview', occurredAt, highPrioritySeverities: [] }), parsed.data, alert.data);
      return { ok: true as const, summary: body.summary, details: body.details, sample: JSON.stringify(data, null, 2) };
    },
  };
}
