import type { LevelAlert } from '../level/envelope.ts';
import type { LevelTemplates } from '../sources/source.ts';
import { compileBuiltInTemplate, renderTemplate, type ParsedTemplate } from '../sources/template.ts';
import { capEventSize, SUMMARY_LIMIT, truncate, type Enrichment, type IlertEventBody } from './event-mapping.ts';

/*
 * A target's own summary and details for Level alerts (issue 23), in the template language the
 * other sources use (ilert's, https://docs.ilert.com/rest-api/alert-templates). Left empty, the
 * relay's default stays.
 */

const DETAILS_LIMIT = 20_000;

interface Compiled {
  summary: ParsedTemplate | undefined;
  details: ParsedTemplate | undefined;
}

/** Parsed once per saved settings object; the settings hand out the same object until they change. */
const compiledCache = new WeakMap<LevelTemplates, Compiled>();

function compile(templates: LevelTemplates): Compiled {
  let compiled = compiledCache.get(templates);
  if (!compiled) {
    compiled = {
      summary: templates.summary === undefined ? undefined : compileBuiltInTemplate(templates.summary),
      details: templates.details === undefined ? undefined : compileBuiltInTemplate(templates.details),
    };
    compiledCache.set(templates, compiled);
  }
  return compiled;
}

/**
 * What a template sees: Level's alert fields as the webhook sends them (`name`, `severity`,
 * `device_hostname`, `description`, `payload`, …), the event (`ALERT` or `RESOLVE`), the device's
 * `group` path when known, and the relay's own `defaultSummary` and `defaultDetails` to build on.
 */
export function levelTemplateScope(alert: LevelAlert, body: IlertEventBody, enrichment: Enrichment | undefined): Record<string, unknown> {
  return {
    ...alert,
    event: body.eventType,
    group: enrichment?.groupPath,
    operatingSystem: enrichment?.operatingSystem,
    platform: enrichment?.platform,
    lastUser: enrichment?.lastUser,
    defaultSummary: body.summary,
    defaultDetails: body.details,
  };
}

/** The relay's event with the target's summary and details in place of its own; a template that renders empty keeps the default. */
export function withLevelTemplates(body: IlertEventBody, templates: LevelTemplates | undefined, alert: LevelAlert, enrichment?: Enrichment): IlertEventBody {
  if (!templates || (templates.summary === undefined && templates.details === undefined)) return body;
  const compiled = compile(templates);
  const scope = levelTemplateScope(alert, body, enrichment);
  const summary = compiled.summary && renderTemplate(compiled.summary, scope, { maxLength: 1024 }).replace(/\s+/g, ' ').trim();
  const details = compiled.details && renderTemplate(compiled.details, scope, { maxLength: DETAILS_LIMIT }).trim();
  return capEventSize({
    ...body,
    ...(summary ? { summary: truncate(summary, SUMMARY_LIMIT) } : {}),
    ...(details ? { details } : {}),
  });
}
