import type { Diagnosis } from '../../../shared/contract.ts';
import type { SourceConfig } from './source.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A source just added gets this long before Health says nothing came: the sender is being set up. */
export const QUIET_SOURCE_GRACE_MS = HOUR_MS;

/** What the store's facts say of one source (see the facts `source:last:<slug>`, `source:auth:<slug>`). */
export interface SourceActivity {
  lastPassed: { at: number } | undefined;
  authFailures: { n: number; lastAt: number } | undefined;
}

const PATH = (source: SourceConfig) => `/webhooks/source/${source.slug}`;

function whereToFix(source: SourceConfig): string {
  if (source.kind !== 'particle') return `the sender’s settings`;
  return 'Particle’s console → Integrations → your webhook';
}

function credentialsHint(source: SourceConfig): string {
  switch (source.auth.type) {
    case 'basic':
      return `HTTP Basic auth with the username “${source.auth.username}” and the password saved here (in ${whereToFix(source)}${source.kind === 'particle' ? ' → Advanced settings → HTTP Basic Auth' : ''})`;
    case 'header':
      return `the secret saved here in the ${source.auth.header} header (in ${whereToFix(source)})`;
    case 'hmac':
      return `an HMAC-SHA256 of the body with the secret saved here, in the ${source.auth.header} header${source.auth.prefix ? ` after “${source.auth.prefix}”` : ''}`;
  }
}

/**
 * Health's findings for the other sources: one that has received nothing since it was added (after
 * an hour's grace), and one whose requests fail authentication. From facts, never a table scan.
 */
export function sourceFindings(
  sources: readonly SourceConfig[],
  activity: ReadonlyMap<string, SourceActivity>,
  now: number,
  since: { startedAt: number; publicUrl: string | undefined },
): Diagnosis[] {
  const found: Diagnosis[] = [];
  for (const source of sources) {
    const seen = activity.get(source.slug);
    const failures = seen?.authFailures;
    const url = `${since.publicUrl ?? '<public URL>'}${PATH(source)}`;
    if (failures && failures.n > 0 && failures.lastAt >= now - DAY_MS) {
      found.push({
        id: `source-auth:${source.slug}`,
        level: 'error',
        title: `Requests from the ${source.name} source fail authentication`,
        detail: `The last ${failures.n === 1 ? 'request' : `${failures.n} requests`} to ${PATH(source)} ${failures.n === 1 ? 'was' : 'were'} refused with 401, so ${failures.n === 1 ? 'its event did' : 'their events did'} not reach ilert.`,
        fix: `Make the sender send ${credentialsHint(source)}; or set the sender’s credentials here under Settings → Sources → Edit. The 401s’ reasons are in Deliveries.`,
      });
      continue;
    }
    // Added before sources kept the time: counted from this start.
    const existedFrom = source.addedAt ?? since.startedAt;
    if (!seen?.lastPassed && now - existedFrom > QUIET_SOURCE_GRACE_MS) {
      found.push({
        id: `source-silent:${source.slug}`,
        level: 'warning',
        title: `The ${source.name} source has never received anything`,
        detail: `No request has reached ${PATH(source)} since it was added.`,
        fix:
          source.kind === 'particle'
            ? `In ${whereToFix(source)}, check the URL is ${url}, Request type POST, event name ${source.particle.alertEvent} (and a second webhook for ${source.particle.resolveEvent}); then press TEST there, or “Send a test” under Settings → Sources.`
            : `Point the sender at ${url} (POST, JSON) with ${credentialsHint(source)}; “Send a test” under Settings → Sources checks the path.`,
      });
    }
  }
  return found;
}
