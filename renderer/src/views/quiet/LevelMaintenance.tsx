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
      maintenance<span className="sr-only"> mode in Level since {fullTime(since)}</span>
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

/** Routing: how many of a group's devices (or of all devices) are in Level's maintenance mode. */
export function DevicesInMaintenance({ count, testId }: { count: number | undefined; testId: string }) {
  if (!count) return null;
  return (
    <Badge tone="warn" title={`${count} device${count === 1 ? '' : 's'} in Level’s maintenance mode`} testId={testId}>
      {count} in maintenance
    </Badge>
  );
}
