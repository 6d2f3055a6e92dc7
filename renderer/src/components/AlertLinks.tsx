import type { AlertRow } from '../../../shared/contract.ts';

/**
 * "Open in ilert" and "Open in Level", when the link settings are set and the ids known. In the
 * desktop app a new-window link goes to the system browser (https only), never to an app window.
 */
export function AlertLinks({ alert }: { alert: AlertRow }) {
  const what = alert.name ?? 'this alert';
  return (
    <>
      {alert.links?.ilert && (
        <a className="small" href={alert.links.ilert} target="_blank" rel="noopener noreferrer" aria-label={`Open ${what} in ilert`} data-testid="open-in-ilert">
          ilert ↗
        </a>
      )}{' '}
      {alert.links?.level && (
        <a
          className="small"
          href={alert.links.level}
          target="_blank"
          rel="noopener noreferrer"
          aria-label={`Open the device ${alert.deviceHostname ?? ''} in Level`}
          data-testid="open-in-level"
        >
          Level ↗
        </a>
      )}
    </>
  );
}
