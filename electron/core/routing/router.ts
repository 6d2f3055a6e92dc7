import { severityRank, type RoutingView } from '../../../shared/contract.ts';
import type { Enrichment } from '../ilert/event-mapping.ts';
import type { LevelAlert } from '../level/envelope.ts';
import { operatingSystemName } from '../level/level-api.ts';
import type { LevelDirectory } from './directory.ts';
import type { Settings } from '../settings.ts';
import type { Store } from '../store/store.ts';
import type { GroupRoutes, GroupRoute } from '../store/group-routes.ts';
import type { TargetPauses } from '../store/target-pauses.ts';
import { deviceCountsBySubtree, resolveRoute } from './group-tree.ts';
import { DEFAULT_TARGET, requireTarget, resolveTarget, targetNames } from '../targets.ts';
import type { Logger } from '../logger.ts';

/** Where an alert goes, decided from its device's group when it arrives, and why. */
export interface RouteChoice {
  target: string;
  reason: string;
  routingKey?: string | undefined;
  /** Set when the alert is not forwarded (unmapped group with skipping on, or under the route's minimum severity). */
  skip?: string | undefined;
  groupPath?: string | undefined;
  enrichment?: Enrichment | undefined;
  /**
   * Flapping (issue 22): hold the ALERT back this long and send it only if still active; hold an
   * already-sent alert's RESOLVE this long so a refire becomes a comment. 0 or absent: off. Set from
   * the route or the settings' default; whatever decides later (a rule) may override it.
   */
  holdDownSeconds?: number | undefined;
  resolveGraceSeconds?: number | undefined;
  /** Set by a rule (rules/): ilert's priority for the ALERT, whatever the severity says. */
  priority?: 'HIGH' | 'LOW' | undefined;
  /** The rule that matched, by id and name; `drop`: it keeps the ALERT back until someone sends it. */
  rule?: { id: number; name: string; drop: boolean } | undefined;
}
/** How long an alert's acknowledgement may wait for Level's API to say which group its device is in. */
export const DEVICE_LOOKUP_TIMEOUT_MS = 2000;

/**
 * Decides where an alert goes: the ilert target mapped on its device's Level group or the
 * nearest mapped ancestor (the deepest mapping wins), else the default target or nowhere.
 */
export class Router {
  readonly #store: Store;
  readonly #routes: GroupRoutes;
  readonly #directory: LevelDirectory;
  readonly #settings: () => Settings;
  readonly #routesChanged: () => void;
  readonly #pauses: TargetPauses;
  readonly #log: Logger;

  /** `routesChanged`: a route was set or removed, so alerts it held back may go to ilert now. */
  constructor(options: { store: Store; routes: GroupRoutes; pauses: TargetPauses; directory: LevelDirectory; settings: () => Settings; log: Logger; routesChanged: () => void }) {
    this.#store = options.store;
    this.#routes = options.routes;
    this.#pauses = options.pauses;
    this.#directory = options.directory;
    this.#settings = options.settings;
    this.#log = options.log;
    this.#routesChanged = options.routesChanged;
  }

  routes(): Map<string, GroupRoute> {
    return this.#routes.all();
  }

  setRoute(groupId: string, route: GroupRoute | null, now = Date.now()): void {
    if (route) requireTarget(this.#settings(), route.target);
    this.#routes.set(groupId, route, now);
    this.#routesChanged();
  }

  /** Before the alert is stored: look its device up if the relay does not know it or knows it from long ago. */
  async lookUpDevice(alert: LevelAlert): Promise<void> {
    if (!alert.device_id || !this.#directory.configured) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DEVICE_LOOKUP_TIMEOUT_MS);
    });
    try {
      // Routing from what is known beats making Level wait: a slow API does not hold the answer up.
      await Promise.race([this.#directory.ensureDevice(alert.device_id), timeout]);
    } catch (error) {
      this.#log.error(`could not look up device ${alert.device_id}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A device's group, then the groups above it: what a maintenance window on a group covers. */
  groupsOf(deviceId: string | undefined): string[] {
    const groupId = deviceId ? this.#directory.device(deviceId)?.group_id : undefined;
    return groupId ? [groupId, ...this.#directory.tree().ancestorsOf(groupId)] : [];
  }

  routeFor(alert: LevelAlert): RouteChoice {
    const choice = this.#choose(alert);
    const settings = this.#settings();
    // A group route's own numbers beat the settings' defaults.
    return {
      ...choice,
      holdDownSeconds: choice.holdDownSeconds ?? settings.holdDownSeconds,
      resolveGraceSeconds: choice.resolveGraceSeconds ?? settings.resolveGraceSeconds,
    };
  }

  #choose(alert: LevelAlert): RouteChoice {
    const settings = this.#settings();
    const device = alert.device_id ? this.#directory.device(alert.device_id) : undefined;
    const tree = this.#directory.tree();
    const groupPath = (device?.group_id ? tree.pathOf(device.group_id) : undefined) ?? (typeof alert.group_path === 'string' ? alert.group_path : undefined);
    const enrichment: Enrichment | undefined = device
      ? { groupPath, operatingSystem: operatingSystemName(device), platform: device.platform, lastUser: device.last_logged_in_user }
      : groupPath
        ? { groupPath }
        : undefined;
    const mappings = this.routes();
    if (mappings.size === 0) {
      return { target: DEFAULT_TARGET, reason: 'default target (no group routing configured)', groupPath, enrichment };
    }
    if (alert.device_id && !device) {
      const fallback = settings.unmappedGroups === 'skip' ? undefined : DEFAULT_TARGET;
      const why = `device ${alert.device_id} is unknown to the relay${this.#directory.configured ? '' : ' (no Level API key to look it up)'}`;
      return fallback
        ? { target: fallback, reason: `${why}: default target`, enrichment }
        : { target: DEFAULT_TARGET, reason: why, skip: `${why} and unmapped groups are skipped` };
    }
    const decision = resolveRoute(device?.group_id, tree, mappings, settings.unmappedGroups);
    if (decision.kind === 'skip') return { target: DEFAULT_TARGET, reason: decision.reason, skip: decision.reason, groupPath, enrichment };
    if (decision.kind === 'default') return { target: DEFAULT_TARGET, reason: decision.reason, groupPath, enrichment };
    const route = decision.route!;
    const below = route.minSeverity && alert.severity && severityRank(alert.severity) < severityRank(route.minSeverity);
    return {
      target: route.target,
      reason: decision.reason,
      routingKey: route.routingKey,
      skip: below ? `${alert.severity} is below the route’s minimum severity (${route.minSeverity})` : undefined,
      groupPath,
      enrichment,
      holdDownSeconds: route.holdDownSeconds,
      resolveGraceSeconds: route.resolveGraceSeconds,
    };
  }

  view(): RoutingView {
    const settings = this.#settings();
    const pausedAt = new Map(this.#pauses.all().map((pause) => [pause.target, pause.pausedAt]));
    const tree = this.#directory.tree();
    const mappings = this.routes();
    const devices = this.#directory.devices();
    const counts = deviceCountsBySubtree(tree, devices);
    // Devices in Level's maintenance mode, per group and in all.
    const inMaintenance = new Map<string, number>();
    let devicesInMaintenance = 0;
    for (const device of devices) {
      if (device.maintenance_since === null) continue;
      devicesInMaintenance++;
      if (device.group_id) inMaintenance.set(device.group_id, (inMaintenance.get(device.group_id) ?? 0) + 1);
    }
    const rows = tree.rows().map((row) => {
      const decision = resolveRoute(row.id, tree, mappings, settings.unmappedGroups);
      const kind = decision.kind === 'mapped' ? (decision.inherited ? 'inherited' : 'mapped') : decision.kind;
      const flagged = tree.byId.get(row.id);
      return {
        groupId: row.id,
        name: row.name,
        depth: row.depth,
        path: row.path,
        devices: counts.get(row.id)?.direct ?? 0,
        subtreeDevices: counts.get(row.id)?.subtree ?? 0,
        route: mappings.get(row.id),
        effective: {
          kind,
          target: decision.kind === 'mapped' ? decision.route.target : decision.kind === 'default' ? DEFAULT_TARGET : undefined,
          fromGroupId: decision.mappedGroupId,
          reason: decision.reason,
        },
        flag:
          flagged?.issue === 'cycle'
            ? 'its parent chain in Level loops; treated as a top-level group'
            : flagged?.issue === 'missing-parent'
              ? `its parent ${flagged.declaredParentId} is not in Level’s group list`
              : undefined,
        ...(inMaintenance.has(row.id) ? { devicesInMaintenance: inMaintenance.get(row.id) } : {}),
      } satisfies RoutingView['rows'][number];
    });
    const covered = devices.filter((device) => resolveRoute(device.group_id, tree, mappings, 'skip').kind === 'mapped').length;
    // From the trigger-kept counters, not a count over the alerts.
    const activeAlerts = Object.values(this.#store.facts().activeAlerts).reduce((sum, count) => sum + count, 0);
    return {
      levelConfigured: this.#directory.configured,
      lastSyncAt: this.#directory.lastSyncAt,
      lastSyncError: this.#directory.lastSyncError,
      unmappedGroups: settings.unmappedGroups,
      targets: targetNames(settings).map((name) => ({ name, configured: resolveTarget(settings, name) !== undefined, pausedAt: pausedAt.get(name) })),
      rows,
      summary: {
        groups: rows.length,
        mappedGroups: mappings.size,
        devices: devices.length,
        devicesCovered: covered,
        activeAlerts,
        ...(devicesInMaintenance > 0 ? { devicesInMaintenance } : {}),
      },
    };
  }
}
