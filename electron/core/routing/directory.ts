import type { Envelope } from '../level/envelope.ts';
import { DEVICE_EVENT_TYPES, GROUP_EVENT_TYPES } from '../level/envelope.ts';
import type { LevelApi, LevelDevice, LevelGroup } from '../level/level-api.ts';
import { buildGroupTree, type GroupTree } from './group-tree.ts';
import type { Store } from '../store/store.ts';
import type { Announce } from '../app-events.ts';

/** A device the relay knows about is looked up again when older than this (it may have moved). */
export const DEVICE_STALE_AFTER_MS = 60 * 60_000;

export interface SyncResult {
  groups: number;
  devices: number;
  at: number;
}

/**
 * The relay's mirror of Level's groups and devices: filled from the API (full sync) and kept
 * fresh by `group_*` / `device_*` webhooks, each answered by re-fetching the resource, because
 * a webhook body is a snapshot and Level's API is the truth (404 = deleted).
 */
export class LevelDirectory {
  readonly #store: Store;
  readonly #api: () => LevelApi | undefined;
  readonly #announce: Announce;
  #tree: GroupTree | undefined;
  lastSyncAt: number | undefined;
  lastSyncError: string | undefined;

  constructor(store: Store, api: () => LevelApi | undefined, announce: Announce) {
    this.#store = store;
    this.#api = api;
    this.#announce = announce;
    store.changes.on('change', (change) => {
      if (change.kind === 'mirror') this.#tree = undefined;
    });
    this.lastSyncAt = store.mirror.lastSyncedAt();
  }

  get configured(): boolean {
    return this.#api() !== undefined;
  }

  /** Lists every group and device; whatever Level no longer lists is marked deleted. */
  async syncAll(now = Date.now()): Promise<SyncResult> {
    const api = this.#api();
    if (!api) throw new Error('no Level API key: add one in Settings to sync groups and devices');
    try {
      const [groups, devices] = await Promise.all([api.listGroups(), api.listDevices()]);
      this.#store.transaction(() => {
        for (const group of groups) this.#store.mirror.upsertGroup(group, now);
        for (const device of devices) this.#store.mirror.upsertDevice(device, now);
        this.#store.mirror.markMissingDeleted(
          'groups',
          groups.map((group) => group.id),
          now,
        );
        this.#store.mirror.markMissingDeleted(
          'devices',
          devices.map((device) => device.id),
          now,
        );
        this.#store.collect({ kind: 'mirror' });
      });
      this.lastSyncAt = now;
      this.lastSyncError = undefined;
      return { groups: groups.length, devices: devices.length, at: now };
    } catch (error) {
      this.lastSyncError = (error as Error).message;
      this.#announce('level-sync');
      throw error;
    }
  }

  /** After a group_* or device_* webhook: the API's current view of that resource replaces the mirror's. */
  async refreshFromWebhook(envelope: Envelope, now = Date.now()): Promise<void> {
    const api = this.#api();
    if (!api) return;
    const id = envelope.data.id;
    if ((GROUP_EVENT_TYPES as readonly string[]).includes(envelope.event_type)) {
      const group = await api.getGroup(id);
      this.#store.transaction(() => {
        if (group) this.#store.mirror.upsertGroup(group, now);
        else this.#store.mirror.markDeleted('groups', id, now);
        this.#store.collect({ kind: 'mirror' });
      });
    } else if ((DEVICE_EVENT_TYPES as readonly string[]).includes(envelope.event_type)) {
      await this.#refreshDevice(api, id, now);
    }
  }

  /** Looks a device up when the relay has never synced it or the sync is old: alerts route by its group. */
  async ensureDevice(deviceId: string, now = Date.now()): Promise<void> {
    const api = this.#api();
    if (!api) return;
    const syncedAt = this.#store.mirror.deviceSyncedAt(deviceId);
    if (syncedAt != null && now - syncedAt < DEVICE_STALE_AFTER_MS) return;
    await this.#refreshDevice(api, deviceId, now);
  }

  async #refreshDevice(api: LevelApi, id: string, now: number): Promise<void> {
    const device = await api.getDevice(id);
    const known = device?.group_id ? this.#store.mirror.hasGroup(device.group_id) : true;
    // A device in a group the mirror has never seen: fetch the group and its ancestors too.
    const newGroups: LevelGroup[] = [];
    if (!known && device?.group_id) {
      let next: string | null | undefined = device.group_id;
      for (let depth = 0; next && depth < 50 && !newGroups.some((group) => group.id === next); depth++) {
        const group: LevelGroup | undefined = await api.getGroup(next);
        if (!group) break;
        newGroups.push(group);
        next = group.parent_id;
      }
    }
    this.#store.transaction(() => {
      for (const group of newGroups) this.#store.mirror.upsertGroup(group, now);
      if (device) this.#store.mirror.upsertDevice(device, now);
      else this.#store.mirror.markDeleted('devices', id, now);
      this.#store.collect({ kind: 'mirror' });
    });
  }

  /**
   * The device looked up last. Routing, the rules and the maintenance windows each ask about the
   * alert's device in turn: one read serves them all, while no write to the mirror came between.
   */
  #lastDevice: { id: string; writes: number; device: LevelDevice | undefined } | undefined;

  device(id: string): LevelDevice | undefined {
    const writes = this.#store.mirror.writes;
    if (this.#lastDevice?.id === id && this.#lastDevice.writes === writes) return this.#lastDevice.device;
    const row = this.#store.mirror.device(id);
    const device = row ? { ...(JSON.parse(row.data) as LevelDevice), id, group_id: row.group_id } : undefined;
    this.#lastDevice = { id, writes, device };
    return device;
  }

  devices(): { id: string; group_id: string | null; maintenance_since: number | null }[] {
    return this.#store.mirror.devices();
  }

  tree(): GroupTree {
    this.#tree ??= buildGroupTree(this.#store.mirror.groups());
    return this.#tree;
  }
}
