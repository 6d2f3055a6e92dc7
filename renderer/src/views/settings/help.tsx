/** What each setting on the Settings page is for, in words; labels and environment variables come from the relay. */
import type { ReactNode } from 'react';
import type { SecretKey, ValueKey } from './settings-form.ts';

export const VALUE_HELP: Record<ValueKey, ReactNode> = {
  ilertAlertLink: (
    <>
      For “Open in ilert” on alert rows: open an alert in ilert, copy the address and put <code>{'{id}'}</code> where its number is (needs the ilert API key). Empty: no link.
    </>
  ),
  levelDeviceLink: (
    <>
      For “Open in Level” on alert rows: open a device in Level, copy the address and put <code>{'{id}'}</code> where its id is. Empty: no link.
    </>
  ),
  host: 'Address the webhook listener binds to. 127.0.0.1 keeps it on this machine, where your tunnel connects to it.',
  port: 'Port Level’s webhooks arrive on (through the tunnel). 0 picks any free port.',
  adminPort: 'Port of this dashboard and its API, on 127.0.0.1 only.',
  ilertApiUrl: (
    <>
      Events are posted to <code>&lt;URL&gt;/api/events</code>. Leave it at https://api.ilert.com unless ilert told you otherwise.
    </>
  ),
  ilertEventsPerMinute: 'At most this many requests per integration key in any rolling minute; ilert allows 50. Critical alerts and resolves go first in a backlog.',
  retentionDays: 'Deliveries, events and attempts older than this are deleted. Work still pending is always kept.',
  auditRetentionDays:
    'Who did what (Team → Audit) is kept this long, whatever the history above: at least 90 days. Only the relay’s owner (its desktop app or admin link) can change it, and the change is audited.',
  levelApiUrl: (
    <>
      Level’s public REST API. Leave it at <code>https://api.level.io/v2</code>.
    </>
  ),
  levelMaintenanceWarnHours: 'Level never ends a device’s maintenance mode by itself: Health warns about each device in it for longer than this.',
  holdDownSeconds:
    'A new alert is sent only if it is still active after this many seconds; one resolved sooner is a flap and pages nobody. 0: off. A group’s route may override it (Routing).',
  resolveGraceSeconds:
    'A resolve waits this many seconds; if the alert fires again meanwhile, ilert’s alert stays open and gets a comment instead. 0: off. A group’s route may override it (Routing).',
  cloudflaredPath: (
    <>
      The <code>cloudflared</code> program the tunnel runs: a name on the PATH or a full path (e.g. <code>/usr/local/bin/cloudflared</code>).
    </>
  ),
};

export const SECRET_HELP: Record<SecretKey, string> = {
  levelWebhookSecret:
    'Level signs every webhook with it (X-Level-Signature); deliveries with a missing or wrong signature are refused. Without one, unsigned deliveries are accepted.',
  levelWebhookSecretPrevious:
    'Still accepted during a rotation: after setting a new secret in Level, keep the old one here until deliveries signed with it have drained, then clear it.',
  levelAutomationSecret:
    'For Level automations that post alerts here: their HTTP request action cannot sign a body, so it sends this secret in a header instead (Setup shows the header and the payload template). Without one, the automation endpoint is off.',
  ilertIntegrationKey:
    'From your ilert alert source of type API (looks like il1api…): the default target, for every group not routed elsewhere. Without it, those alerts wait in the queue.',
  ilertApiKey:
    'Optional. A user API key from ilert (your profile → API keys), for reading: the setup checks alert sources with it, and the Alerts view shows each alert’s ilert state (pending, accepted by whom, resolved). Events are still sent with the integration keys.',
  ilertPassThroughUrl:
    'Optional. The URL of an ilert alert source of type Level.io: Level’s original webhook body is forwarded there as it is, and ilert’s own Level integration makes the alert. Kept secret: the URL contains the source’s key.',
  ilertHeartbeatUrl:
    'Optional. Pinged every minute while the relay is healthy, so ilert pages someone when the relay is down or the machine sleeps. Kept secret: anyone with it could keep the heartbeat alive.',
  levelApiKey:
    'From Level → Settings → API. Lets the relay read groups and devices (routing by group, under Routing) and the active alerts (backfill of alerts a webhook missed). Read access is enough.',
};

export const DESKTOP_CHECK_TEXT = {
  notifyResolves: 'also notify when an alert resolves',
  startAtLogin: 'start the app when I log in',
  checkForUpdates: 'look for new versions and offer them',
} as const;

export const DESKTOP_CHECK_HELP = {
  notifyResolves: 'Off by default: ilert already closes its alert.',
  startAtLogin: 'Only in the desktop app; the headless relay ignores it.',
  checkForUpdates:
    'Every 6 hours, from the project’s GitHub releases. A new version is downloaded and offered on Health and in the tray; it installs only when you choose Restart to update.',
} as const;
