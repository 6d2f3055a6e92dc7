import { Badge } from '../../components/Badge.tsx';
import { fullTime } from '../../format.ts';

/**
 * Level's own per-device maintenance mode (mirrored from Level): Level suppresses the device's
 * monitors while it is on and never ends it by itself, so it is shown wherever the device is.
 */
export function LevelMaintenanceBadge({ since, testId }: { since: number | undefined; testId: string }) {
  if (since === undefined) return null;
  return (
    <Badge tone="warn" title={`In Level’s maintenance mode since ${fullTime(since)}: Level suppresses its monitors until someone turns it off`} testId={testId}>
      {/* Short enough for the device column at 720 px; the full words are for screen readers and the tooltip. */}
      <span aria-hidden="true">maint.</span>
      <span className="sr-only">in Level’s maintenance mode since {fullTime(since)}</span>
    </Badge>
  );
}

/** The same in a sentence, for the alert's detail. */
export function LevelMaintenanceNote({ since, device, testId }: { since: number | undefined; device: string | undefined; testId: string }) {
  if (since === undefined) return null;
  return (
    <p className="small" role="note" data-testid={testId}>
      <LevelMaintenanceBadge since={since} testId={`${testId}-badge`} /> {device ?? 'The device'} is in Level’s maintenance mode since {fullTime(since)}: Level suppresses its
      monitors and alerts until someone turns it off.
    </p>
  );
}

/**
 * Routing: how many of all devices (a pill in the summary) or of a group's devices (a short line in
 * the group's narrow devices column) are in Level's maintenance mode.
 */
export function DevicesInMaintenance({ count, testId, compact = false }: { count: number | undefined; testId: string; compact?: boolean }) {
  if (!count) return null;
  const words = `${count} device${count === 1 ? '' : 's'} in Level’s maintenance mode`;
  if (compact) {
    return (
      <div className="small text-warn" title={words} data-testid={testId}>
        <span aria-hidden="true">{count} maint.</span>
        <span className="sr-only">{words}</span>
      </div>
    );
  }
  return (
    <Badge tone="warn" title={words} testId={testId}>
      {count} in maintenance
    </Badge>
  );
}
