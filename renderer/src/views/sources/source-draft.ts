import type { MethodInput, MethodOutput } from '../../../../shared/contract.ts';

export type SourceView = MethodOutput<'listSources'>[number];
export type SourceInput = MethodInput<'createSource'>;
export type Kind = SourceView['kind'];
export type AuthType = SourceView['auth']['type'];

export const TEMPLATE_FIELDS = [
  { key: 'summary', label: 'Summary', help: 'One line: the alert’s title in ilert.' },
  { key: 'details', label: 'Details', help: 'Markdown under the summary.' },
  { key: 'alertKey', label: 'Alert key', help: 'Names the alert, so a RESOLVE closes what its ALERT opened. Empty output refuses the event.' },
  { key: 'action', label: 'Action', help: 'Must render ALERT or RESOLVE; anything else (or nothing) ignores the event.' },
  { key: 'priority', label: 'Priority', help: 'HIGH or LOW; empty keeps the alert source’s default.' },
  { key: 'eventId', label: 'Event id', help: 'What makes a resend a duplicate; empty: a hash of the body (and, for JSON, its arrival).' },
] as const;
export type TemplateKey = (typeof TEMPLATE_FIELDS)[number]['key'];

/** What the form edits: flat strings, so every input is controlled; `secret` empty keeps the saved one. */
export interface SourceDraft {
  kind: Kind;
  name: string;
  slug: string;
  target: string;
  authType: AuthType;
  username: string;
  header: string;
  prefix: string;
  secret: string;
  alertEvent: string;
  resolveEvent: string;
  templates: Record<TemplateKey, string>;
}

const NO_TEMPLATES: Record<TemplateKey, string> = { summary: '', details: '', alertKey: '', action: '', priority: '', eventId: '' };

export function newDraft(kind: Kind): SourceDraft {
  return {
    kind,
    name: '',
    slug: '',
    target: 'default',
    authType: kind === 'particle' ? 'basic' : 'hmac',
    username: kind === 'particle' ? 'particle' : '',
    header: kind === 'particle' ? '' : 'X-Signature',
    prefix: kind === 'particle' ? '' : 'sha256=',
    secret: '',
    alertEvent: 'ALERT',
    resolveEvent: 'RESOLVE',
    templates: kind === 'particle' ? NO_TEMPLATES : { ...NO_TEMPLATES, action: '{{ status }}', alertKey: '{{ id }}', summary: '{{ message }}' },
  };
}

export function draftOf(source: SourceView): SourceDraft {
  return {
    kind: source.kind,
    name: source.name,
    slug: source.slug,
    target: source.target,
    authType: source.auth.type,
    username: source.auth.username ?? '',
    header: source.auth.header ?? '',
    prefix: source.auth.prefix ?? '',
    secret: '',
    alertEvent: source.particle.alertEvent,
    resolveEvent: source.particle.resolveEvent,
    templates: { ...NO_TEMPLATES, ...Object.fromEntries(Object.entries(source.templates).filter(([, value]) => value !== undefined)) },
  };
}

/** "Freezer sensors" → "freezer-sensors": the path part a new source is offered. */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/** As the contract takes it; a secret left empty is left out, so the saved one stays. */
export function inputOf(draft: SourceDraft): SourceInput {
  const secret = draft.secret.trim() || undefined;
  const auth: SourceInput['auth'] =
    draft.authType === 'basic'
      ? { type: 'basic', username: draft.username.trim(), ...(secret ? { password: secret } : {}) }
      : draft.authType === 'header'
        ? { type: 'header', header: draft.header.trim(), ...(secret ? { secret } : {}) }
        : { type: 'hmac', header: draft.header.trim(), prefix: draft.prefix, ...(secret ? { secret } : {}) };
  return {
    kind: draft.kind,
    name: draft.name.trim(),
    slug: draft.slug.trim(),
    target: draft.target,
    auth,
    ...(draft.kind === 'particle' ? { particle: { alertEvent: draft.alertEvent.trim(), resolveEvent: draft.resolveEvent.trim() } } : {}),
    templates: Object.fromEntries(Object.entries(draft.templates).filter(([, value]) => value.trim() !== '')),
  };
}

/** Particle's default webhook body (https://docs.particle.io/reference/cloud-apis/webhooks/), for a preview before anything arrived. */
export function particleSample(alertEvent: string): string {
  return JSON.stringify(
    {
      event: `${alertEvent}-temperature`,
      data: '-12.5',
      published_at: new Date().toISOString().replace(/\.\d+Z$/, '.000Z'),
      coreid: 'e00fce68a1b2c3d4e5f6a7b8',
      userid: '5f2b1a3c4d5e6f7a8b9c0d1e',
      fw_version: 12,
      public: false,
    },
    null,
    2,
  );
}

export const JSON_SAMPLE = JSON.stringify({ id: 'ups-rack-2', status: 'ALERT', message: 'UPS rack 2 on battery', battery: 87 }, null, 2);
