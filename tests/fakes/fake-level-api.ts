/**
 * A fake of Level's public REST API over real HTTP, following Level's v2 REST API documentation
 * (https://levelapi.readme.io/, spec https://levelapi.readme.io/openapi/level-v2-rest-api.json):
 * `Authorization: <raw key>`, lists as `{data, has_more}` with `limit` (1–100, default 20) and the
 * `starting_after` cursor, errors as `{"error": "..."}`. A device's `operating_system` object
 * (`full_operating_system`, version parts) is only in the answer with `include_operating_system=true`.
 * Tests change its state through the helpers and inject faults (statuses with Retry-After, dropped
 * connections, pagination that never ends).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGroup {
  id: string;
  name: string;
  parent_id: string | null;
}

/** Level's `operating_system` include; there is no `name` or `version` in it. */
interface FakeOperatingSystem {
  full_operating_system: string;
  major_version?: string;
  minor_version?: string;
  architecture?: string;
  install_date?: string | null;
  end_of_life?: boolean;
}

export interface FakeDevice {
  id: string;
  hostname: string;
  nickname?: string | null;
  group_id: string | null;
  platform?: string;
  online?: boolean;
  /** Level's per-device maintenance mode; only an automation (or a person) turns it off. */
  maintenance_mode?: boolean;
  last_seen_at?: string;
  operating_system?: FakeOperatingSystem;
  [field: string]: unknown;
}

export interface FakeAlert {
  id: string;
  device_id: string;
  device_hostname: string;
  name: string;
  description: string;
  payload: string | null;
  severity: 'information' | 'warning' | 'critical' | 'emergency';
  is_resolved: boolean;
  started_at: string;
  resolved_at: string | null;
}

export type FakeFault = { status: number; retryAfter?: string; error?: string; body?: string } | { drop: true } | { delayMs: number };

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  at: number;
}

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 20;

/** Ids shaped like Level's (base64 global ids), unique per fake. */
function levelId(kind: string, n: number): string {
  return Buffer.from(`gid://level/${kind}/${n}`).toString('base64').replace(/=+$/, '');
}

export class FakeLevelApi {
  readonly apiKey: string;
  readonly groups = new Map<string, FakeGroup>();
  readonly devices = new Map<string, FakeDevice>();
  readonly alerts = new Map<string, FakeAlert>();
  readonly requests: FakeRequest[] = [];
  readonly #holds = new Map<string, { reach: () => void; released: Promise<void> }>();
  /** Lists answer `{data: [], has_more: true}`: a broken cursor Level could send. */
  emptyPageWithHasMore = false;
  /** Any `starting_after` is answered with page 1 again. */
  repeatCursor = false;
  url = '';
  #faults: FakeFault[] = [];
  #counter = 0;
  #server: http.Server;

  constructor(options: { apiKey: string }) {
    this.apiKey = options.apiKey;
    this.#server = http.createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.#json(response, 500, { error: String(error) });
        else response.destroy();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v2`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Holds the next request to `path` until `release()`: its answer is computed after the release,
   * so a test can make something happen while a client waits on Level.
   */
  holdNext(path: string): { reached: Promise<void>; release(): void } {
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.set(path, { reach, released });
    return { reached, release };
  }

  /** The next `count` requests get this fault instead of their answer. */
  failNext(count: number, fault: FakeFault): void {
    for (let index = 0; index < count; index += 1) this.#faults.push(fault);
  }

  addGroup(group: { id?: string; name: string; parent_id?: string | null }): FakeGroup {
    const created = { id: group.id ?? levelId('Group', ++this.#counter), name: group.name, parent_id: group.parent_id ?? null };
    this.groups.set(created.id, created);
    return created;
  }

  moveGroup(id: string, newParentId: string | null): void {
    this.#must(this.groups, id, 'group').parent_id = newParentId;
  }

  /** Removes the group only: its devices and subgroups keep pointing at it, as a sync in mid-change would see them. */
  deleteGroup(id: string): void {
    this.#must(this.groups, id, 'group');
    this.groups.delete(id);
  }

  addDevice(device: Partial<FakeDevice> & { hostname: string }): FakeDevice {
    const created: FakeDevice = {
      platform: 'Windows',
      online: true,
      maintenance_mode: false,
      last_seen_at: new Date().toISOString(),
      ...device,
      id: device.id ?? levelId('Device', ++this.#counter),
      group_id: device.group_id ?? null,
    };
    this.devices.set(created.id, created);
    return created;
  }

  moveDevice(id: string, groupId: string | null): void {
    this.#must(this.devices, id, 'device').group_id = groupId;
  }

  deleteDevice(id: string): void {
    this.#must(this.devices, id, 'device');
    this.devices.delete(id);
  }

  addAlert(alert: Partial<FakeAlert> & { device_id: string }): FakeAlert {
    const created: FakeAlert = {
      name: 'CPU usage >75.0% for 10 minutes',
      description: '',
      payload: null,
      severity: 'warning',
      is_resolved: false,
      started_at: new Date().toISOString(),
      resolved_at: null,
      ...alert,
      id: alert.id ?? levelId('Alert', ++this.#counter),
      device_hostname: alert.device_hostname ?? this.devices.get(alert.device_id)?.hostname ?? '',
    };
    this.alerts.set(created.id, created);
    return created;
  }

  resolveAlert(id: string): FakeAlert {
    const alert = this.#must(this.alerts, id, 'alert');
    alert.is_resolved = true;
    alert.resolved_at = new Date().toISOString();
    return alert;
  }

  /** Requests to one path (without /v2), e.g. '/devices'. */
  requestsTo(path: string): FakeRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  #must<T>(map: Map<string, T>, id: string, what: string): T {
    const value = map.get(id);
    if (!value) throw new Error(`fake Level has no ${what} ${id}`);
    return value;
  }

  #groupView(group: FakeGroup): Record<string, unknown> {
    const childIds = [...this.groups.values()].filter((each) => each.parent_id === group.id).map((each) => each.id);
    const subtree = this.#subtreeIds(group.id);
    let descendants = 0;
    let direct = 0;
    for (const device of this.devices.values()) {
      if (device.group_id === group.id) direct += 1;
      if (device.group_id && subtree.has(device.group_id)) descendants += 1;
    }
    return { ...group, child_ids: childIds, device_count: direct, descendent_device_count: descendants };
  }

  #subtreeIds(rootId: string): Set<string> {
    const ids = new Set([rootId]);
    for (let grew = true; grew;) {
      grew = false;
      for (const group of this.groups.values()) {
        if (group.parent_id !== null && ids.has(group.parent_id) && !ids.has(group.id)) {
          ids.add(group.id);
          grew = true;
        }
      }
    }
    return ids;
  }

  #deviceView(device: FakeDevice, query: Record<string, string>): Record<string, unknown> {
    const group = device.group_id ? this.groups.get(device.group_id) : undefined;
    const { operating_system: operatingSystem, ...always } = device;
    const view: Record<string, unknown> = { ...always, group_name: group?.name ?? null };
    if (query.include_operating_system === 'true') view.operating_system = operatingSystem ?? null;
    return view;
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v2(?=\/|$)/, '');
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: request.method ?? 'GET', path, query, authorization: request.headers.authorization, at: Date.now() });
    request.resume();
    const hold = this.#holds.get(path);
    if (hold) {
      this.#holds.delete(path);
      hold.reach();
      await hold.released;
    }

    const fault = this.#faults.shift();
    if (fault) {
      if ('drop' in fault) {
        request.socket.destroy();
        return;
      }
      if ('delayMs' in fault) {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (request.socket.destroyed) return;
      } else {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        response.writeHead(fault.status, headers);
        response.end(fault.body ?? JSON.stringify({ error: fault.error ?? http.STATUS_CODES[fault.status] ?? 'Error' }));
        return;
      }
    }

    if (!url.pathname.startsWith('/v2/')) return this.#json(response, 404, { error: 'Not Found' });
    if (request.headers.authorization !== this.apiKey) return this.#json(response, 401, { error: 'Unauthorized' });

    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [resource, id, action] = segments;
    if (request.method === 'POST' && resource === 'alerts' && id && action === 'resolve' && segments.length === 3) {
      if (!this.alerts.has(id)) return this.#json(response, 404, { error: 'Not Found' });
      return this.#json(response, 200, this.resolveAlert(id));
    }
    if (request.method !== 'GET') return this.#json(response, 405, { error: 'Method Not Allowed' });

    if (segments.length === 2 && id) {
      const found =
        resource === 'groups'
          ? this.groups.get(id) && this.#groupView(this.groups.get(id)!)
          : resource === 'devices'
            ? this.devices.get(id) && this.#deviceView(this.devices.get(id)!, query)
            : resource === 'alerts'
              ? this.alerts.get(id)
              : undefined;
      return found ? this.#json(response, 200, found) : this.#json(response, 404, { error: 'Not Found' });
    }
    if (segments.length !== 1) return this.#json(response, 404, { error: 'Not Found' });

    let items: { id: string }[];
    if (resource === 'groups') {
      items = [...this.groups.values()].map((group) => this.#groupView(group) as { id: string });
    } else if (resource === 'devices') {
      let devices = [...this.devices.values()];
      if (query.group_id !== undefined) devices = devices.filter((device) => device.group_id === query.group_id);
      if (query.ancestor_group_id !== undefined) {
        const subtree = this.#subtreeIds(query.ancestor_group_id);
        devices = devices.filter((device) => device.group_id !== null && subtree.has(device.group_id));
      }
      items = devices.map((device) => this.#deviceView(device, query) as { id: string });
    } else if (resource === 'alerts') {
      let alerts = [...this.alerts.values()];
      if (query.status !== undefined) {
        if (query.status !== 'active' && query.status !== 'resolved') return this.#json(response, 422, { error: 'status must be active or resolved' });
        alerts = alerts.filter((alert) => alert.is_resolved === (query.status === 'resolved'));
      }
      if (query.device_id !== undefined) alerts = alerts.filter((alert) => alert.device_id === query.device_id);
      items = alerts;
    } else {
      return this.#json(response, 404, { error: 'Not Found' });
    }
    this.#page(response, items, query);
  }

  #page(response: http.ServerResponse, items: { id: string }[], query: Record<string, string>): void {
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return this.#json(response, 422, { error: `limit must be an integer between 1 and ${MAX_LIMIT}` });
    }
    if (this.emptyPageWithHasMore) return this.#json(response, 200, { data: [], has_more: true });
    let start = 0;
    const cursor = query.starting_after;
    if (cursor !== undefined && !this.repeatCursor) {
      const index = items.findIndex((item) => item.id === cursor);
      if (index < 0) return this.#json(response, 422, { error: `starting_after: no object with id ${cursor}` });
      start = index + 1;
    }
    const data = items.slice(start, start + limit);
    this.#json(response, 200, { data, has_more: start + limit < items.length });
  }

  #json(response: http.ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}
