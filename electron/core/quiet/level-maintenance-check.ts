import type { Diagnosis } from '../../../shared/contract.ts';
import type { Settings } from '../settings.ts';
import type { Store } from '../store/store.ts';

const HOUR_MS = 3_600_000;
/** Devices named one by one on the Health page; the rest are counted in one more line. */
const NAMED_DEVICES = 5;

function duration(ms: number): string {
  const hours = Math.floor(ms / HOUR_MS);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`;
}

/**
 * Level's maintenance mode suppresses a device's monitors until someone turns it off: Level never
 * ends it by itself (https://docs.level.io, "Enable maintenance mode action"), so a forgotten one
 * silences a device for good. One warning per device in it for longer than the setting, found
 * through the partial index on `maintenance_since` (cost follows the devices found, not the table).
 */
export function levelMaintenanceTooLong({ store, context }: { store: Store; context: { now: number; settings: Pick<Settings, 'levelMaintenanceWarnHours'> } }): Diagnosis[] {
  const hours = context.settings.levelMaintenanceWarnHours;
  const { devices, total } = store.mirror.longInMaintenance(context.now - hours * HOUR_MS, NAMED_DEVICES + 1);
  const named = devices.slice(0, total > NAMED_DEVICES + 1 ? NAMED_DEVICES : NAMED_DEVICES + 1);
  const found: Diagnosis[] = named.map((device) => ({
    id: `level-maintenance-long:${device.id}`,
    level: 'warning',
    title: `${device.hostname ?? device.id} has been in Level’s maintenance mode for ${duration(context.now - device.since)}`,
    detail: `Level suppresses the device’s monitors and alerts while it is in maintenance mode, and never ends it by itself (seen on since ${new Date(device.since).toISOString()}).`,
    fix: 'If the work is done, turn maintenance mode off in Level (the device’s page, or the automation that turned it on). The threshold is “Warn about Level maintenance mode after (hours)” in Settings.',
  }));
  const rest = total - named.length;
  if (rest > 0) {
    found.push({
      id: 'level-maintenance-long:more',
      level: 'warning',
      title: `${total >= 1000 ? 'Over 1,000' : rest} more devices have been in Level’s maintenance mode for over ${hours} h`,
      detail: 'Level never ends a device’s maintenance mode by itself.',
      fix: 'Check the devices in maintenance mode in Level and turn it off where the work is done.',
    });
  }
  return found;
}
