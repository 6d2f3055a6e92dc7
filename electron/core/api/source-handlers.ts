import type { z } from 'zod';
import type { Caller, Handlers, sourceInputSchema } from '../../../shared/contract.ts';
import { maskSecret } from '../secret-mask.ts';
import type { SettingsService } from '../settings-service.ts';
import { SOURCE_PATH_PREFIX } from '../ingest/source-ingest.ts';
import { mapSourceEvent, sourceSchema, type SourceConfig } from '../sources/source.ts';

type SourceInput = z.output<typeof sourceInputSchema>;
type SourceMethods = Pick<Handlers, 'listSources' | 'createSource' | 'updateSource' | 'deleteSource' | 'previewSourceTemplates'>;

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
export function sourceHandlers(settings: SettingsService, audit: (caller: Caller, action: string, detail: string) => void): SourceMethods {
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
      return save([...current, withSavedSecret(input, undefined)], current.length, caller, `added the ${input.kind} source “${input.name}” at ${SOURCE_PATH_PREFIX}${input.slug}`);
    },
    updateSource: ({ slug, source }, caller) => {
      const current = settings.current.sources;
      const index = current.findIndex((candidate) => candidate.slug === slug);
      if (index < 0) return { ok: false as const, errors: { slug: `no source at ${SOURCE_PATH_PREFIX}${slug}` } };
      const next: Record<string, unknown>[] = [...current];
      next[index] = withSavedSecret(source, current[index]);
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
      if (!parsed.success) return { ok: false as const, errors: Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.map(String).join('.'), issue.message])) };
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
  };
}
