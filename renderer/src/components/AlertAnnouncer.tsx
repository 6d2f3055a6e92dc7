import { useRef, useState } from 'react';
import { call } from '../api/client.ts';
import { useChanges } from '../hooks.ts';

/** At most this many alerts are looked up per change batch; a storm is announced as a count. */
const LOOK_UP_AT_MOST = 5;

/**
 * A polite live region that says "New critical alert: RAID degraded on NAS-01" when an alert
 * arrives, so a screen reader user hears what a sighted user sees appear. Only alerts first seen
 * after the page opened are announced, each once.
 */
export function AlertAnnouncer() {
  const [message, setMessage] = useState('');
  const [openedAt] = useState(() => Date.now());
  const announced = useRef(new Set<string>());

  useChanges((changes) => {
    const fresh = changes.alerts.filter((id) => !announced.current.has(id));
    if (fresh.length === 0) return;
    void Promise.all(
      fresh.slice(0, LOOK_UP_AT_MOST).map((levelAlertId) =>
        call('listAlerts', { groupBy: 'none', levelAlertId, limit: 1 }).then(
          (page) => page.rows.flatMap((entry) => (entry.kind === 'alert' ? [entry.alert] : [])),
          () => [],
        ),
      ),
    ).then((found) => {
      const alerts = found.flat().filter((alert) => alert.state === 'active' && alert.firstSeenAt >= openedAt && !announced.current.has(alert.levelAlertId));
      for (const alert of alerts) announced.current.add(alert.levelAlertId);
      if (alerts.length === 0) return;
      const [first] = alerts;
      const more = fresh.length - 1;
      setMessage(
        more > 0
          ? `${fresh.length} new alerts, the first: ${first!.severity ?? 'unknown severity'} ${first!.name ?? ''}`.trim()
          : `New ${first!.severity ?? ''} alert: ${first!.name ?? 'unnamed'}${first!.deviceHostname ? ` on ${first!.deviceHostname}` : ''}`.replace('New  alert', 'New alert'),
      );
    });
  });

  return (
    <div className="sr-only" role="status" aria-live="polite" data-testid="alert-announcer">
      {message}
    </div>
  );
}
