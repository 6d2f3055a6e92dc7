import { z } from 'zod';
import {
  methods,
  METHOD_ROLES,
  mayReplayWithEdits,
  roleAllows,
  type Caller,
  type CallerView,
  type DeliveryFilter,
  type Role,
  type Handlers,
  type MethodName,
  type SettingsView,
} from '../../../shared/contract.ts';
import type { ApiClients } from '../api-clients.ts';
import type { TargetPausing } from '../forwarder/target-pausing.ts';
import type { HoldReleaser } from '../quiet/hold-releaser.ts';
import type { Rerun } from '../receiver/rerun.ts';
import type { RelayStatus } from '../status/relay-status.ts';
import type { Store } from '../store/store.ts';
import type { LevelDirectory } from '../routing/directory.ts';
import type { Reconciler } from '../reconcile/reconciler.ts';
import type { SetupService } from '../setup/setup-service.ts';
import type { IntegrationTestRunner } from '../setup/integration-test.ts';
import type { SourceSetup } from '../setup/source-setup.ts';
import type { Outbox } from '../store/outbox.ts';
import type { ReadModels } from '../store/read-models.ts';
import type { Team } from '../store/team.ts';
import type { SettingsService } from '../settings-service.ts';
import { settingsMetadata, type Settings } from '../settings.ts';
import type { Router } from '../routing/router.ts';
import { ConflictError, ForbiddenError, NotFoundError, RelayError } from '../errors.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { replayAuditDetail } from './replay-audit.ts';
import { sourceHandlers } from './source-handlers.ts';
import type { AlertPage, AlertRow, ApiError, ConnectionCheck, Diagnosis } from '../../../shared/contract.ts';
import type { MaintenanceWindows } from '../quiet/maintenance.ts';
import type { IlertWindows } from '../quiet/ilert-windows.ts';
import type { RuleBook } from '../rules/rule-book.ts';

/** Whoever runs the relay on this machine: the desktop app's own window. */
export const OWNER: Caller = { name: 'owner', role: 'admin' };

/** What the admin door adds to the contract: pairing links, the owner's link, and its certificate. */
export interface AdminDoor {
  kind: 'loopback' | 'remote';
  fingerprint256: string | undefined;
  adminUrl(): string;
  pairingUrl(code: string): string;
  rotateAdminToken(): string;
  /** Ends the open streams of a revoked member at once. */
  revoked(memberId: number): void;
  /** What is wrong with the door itself (saturated by connections), for the Health page. */
  diagnoses(): Diagnosis[];
}

/** What the handlers use of the relay: its parts, built once in relay-parts.ts. */
export interface RelayParts {
  store: Pick<Store, 'enqueueAccept'>;
  read: ReadModels;
  outbox: Outbox;
  team: Team;
  setup: SetupService;
  integrationTest: IntegrationTestRunner;
  sourceSetup: SourceSetup;
  directory: LevelDirectory;
  router: Router;
  reconciler: Reconciler;
  clients: ApiClients;
  status: RelayStatus;
  rerun: Rerun;
  pausing: TargetPausing;
  windows: MaintenanceWindows;
  releaser: HoldReleaser;
  /** "Also in ilert": the matching ilert maintenance windows. */
  ilertWindows: IlertWindows;
  rules: RuleBook;
}

async function connectionCheck(work: () => Promise<string | undefined>): Promise<ConnectionCheck> {
  try {
    return { ok: true, checkedAt: Date.now(), detail: await work() };
  } catch (error) {
    return { ok: false, checkedAt: Date.now(), message: (error as Error).message };
  }
}

/** "Open in ilert" and "Open in Level": each only when its link setting is set and the alert's id is known. */
function withLinks(page: AlertPage, current: Settings): AlertPage {
  const link = (template: string | undefined, id: string | number | undefined) =>
    template && id !== undefined ? template.replaceAll('{id}', encodeURIComponent(String(id))) : undefined;
  const linked = (alert: AlertRow): AlertRow => {
    const links = { ilert: link(current.ilertAlertLink, alert.ilertAlertId), level: link(current.levelDeviceLink, alert.deviceId) };
    return links.ilert || links.level ? { ...alert, links } : alert;
  };
  return { ...page, rows: page.rows.map((entry) => (entry.kind === 'alert' ? { ...entry, alert: linked(entry.alert) } : entry)) };
}

/** Viewers and operators see which secrets are set, never even a hint of them. */
function withoutSecretHints(view: SettingsView): SettingsView {
  const bare = (secret: { set: boolean }) => ({ set: secret.set, hint: undefined });
  return {
    ...view,
    secrets: Object.fromEntries(Object.entries(view.secrets).map(([key, secret]) => [key, bare(secret)])) as SettingsView['secrets'],
    ilertTargets: view.ilertTargets.map((target) => ({ ...target, key: bare(target.key) })),
  };
}

/**
 * Re-running the ALERT of an alert that is over would open it again in ilert and page someone.
 * Refused unless the caller asked for the alert's RESOLVE to follow it; returns that RESOLVE job.
 * Enforced here, for every caller, not only by the dashboard's confirmation.
 */
function resolveToFollow(relay: RelayParts, jobId: number, thenResolve: boolean): number | undefined {
  const resolved = relay.outbox.resolvedAlertOf(jobId);
  if (!resolved) return undefined;
  const { name, resolve } = resolved;
  if (!resolve) throw new ConflictError(`${name} is resolved, and no RESOLVE was queued for it: re-running its ALERT would leave it open in ilert, so it is refused`);
  if (!thenResolve) {
    throw new ConflictError(
      `${name} is resolved: re-running its ALERT alone would open it again in ilert and page someone. Confirm to send the ALERT followed by its RESOLVE (thenResolve: true)`,
    );
  }
  if (resolve.status === 'in_flight') throw new ConflictError(`the RESOLVE of ${name} is being sent right now: try again in a moment`);
  return resolve.id;
}

/**
 * Retries the failed jobs (those of the delivery log's `filter`, at most 10,000, or all). In bulk
 * nobody confirms each one, so the ALERT of an alert that is over is left alone: it would open
 * the alert again in ilert.
 */
async function retryFailed(relay: RelayParts, filter?: DeliveryFilter): Promise<{ count: number; skipped: number }> {
  const ids = filter ? await failedJobsMatching(relay, filter) : relay.outbox.failedJobIds();
  let count = 0;
  let skipped = 0;
  for (const id of ids) {
    if (relay.outbox.resolvedAlertOf(id)) skipped++;
    else if (relay.outbox.rerun(id, Date.now())) count++;
  }
  return { count, skipped };
}

/** Bulk retry by the delivery log's filter looks at this many failed deliveries at most. */
const BULK_RETRY_LIMIT = 10_000;

async function failedJobsMatching(relay: RelayParts, filter: DeliveryFilter): Promise<number[]> {
  const ids: number[] = [];
  for (let offset = 0; offset < BULK_RETRY_LIMIT; offset += 500) {
    const page = await relay.read.listDeliveries({ ...filter, statuses: ['failed'] }, { offset, limit: 500 });
    for (const row of page.rows) if (row.job?.status === 'failed') ids.push(row.job.id);
    if (page.rows.length < 500) break;
  }
  return ids;
}

/** An invitation made while the door listens on this machine only: its link reaches nobody else until the door is opened. */
function loopbackInviteWarning(pairingUrl: string): string {
  return (
    `The admin door listens on this machine only (${new URL(pairingUrl).host}), so nobody else can open this link yet. ` +
    'To share the relay, restart it with RELAY_ADMIN_HOST=0.0.0.0 (or this machine’s LAN or VPN address) and invite again; see “For a team” in the README. ' +
    'The pairing code works on this machine meanwhile.'
  );
}

const NO_DOOR = 'the admin door is not open to a team here: run the relay headless with RELAY_ADMIN_HOST set (see "For a team" in the README)';

/** The contract's methods, implemented on the relay core's parts; see `Relay.handlers`. */
export function createHandlers(relay: RelayParts, settings: SettingsService, door: () => AdminDoor | undefined = () => undefined): Handlers {
  const audit = (caller: Caller, action: string, detail: string) => relay.team.record(caller, action, detail);
  const openDoor = () => {
    const current = door();
    if (!current) throw new ConflictError(NO_DOOR);
    return current;
  };
  /** Sends one outbound job again, whatever its state (recorded as a manual attempt). */
  const rerun = (jobId: number) => {
    if (!relay.outbox.rerun(jobId, Date.now())) throw new NotFoundError(`no job ${jobId} that can be re-run (unknown, or in flight right now)`);
  };
  return {
    ...sourceHandlers(settings, audit, relay.sourceSetup),
    getStatus: () => {
      const status = relay.status.status();
      const doorProblems = door()?.diagnoses() ?? [];
      return doorProblems.length === 0 ? status : { ...status, diagnoses: [...status.diagnoses, ...doorProblems] };
    },
    listAlerts: (input) => withLinks(relay.read.alertPage(input, Date.now()), settings.current),
    listDeliveries: ({ filter, anchorId, offset, limit }) => relay.read.listDeliveries(filter, { anchorId, offset, limit }),
    getDelivery: ({ id }) => {
      const delivery = relay.read.getDelivery(id);
      if (!delivery) throw new NotFoundError(`no delivery ${id}`);
      return delivery;
    },
    getSettings: (_input, caller) => (caller.role === 'admin' ? settings.view() : withoutSecretHints(settings.view())),
    getSettingsMetadata: () => settingsMetadata(),
    updateSettings: (patch, caller) => {
      const auditDaysBefore = settings.current.auditRetentionDays;
      // The owner's link or window, not a member: an admin must not be able to shorten the record of what they did.
      if (patch.auditRetentionDays !== undefined && caller.memberId !== undefined) {
        return { ok: false as const, errors: { auditRetentionDays: 'only the relay’s owner (its desktop app or admin link) can change how long the audit is kept' } };
      }
      const result = settings.update(patch);
      if (result.ok) audit(caller, 'settings', `changed ${Object.keys(patch).sort().join(', ') || 'nothing'}`);
      if (result.ok && settings.current.auditRetentionDays !== auditDaysBefore) {
        audit(caller, 'settings', `set the audit's retention from ${auditDaysBefore} to ${settings.current.auditRetentionDays} days`);
      }
      return result;
    },
    rerunDelivery: async ({ id }, caller) => {
      const result = await relay.rerun.rerunDelivery(id);
      audit(caller, 'rerun', `re-ran delivery ${id} (HTTP ${result.statusCode})`);
      return result;
    },
    replayDelivery: async ({ id, body }, caller) => {
      if (!mayReplayWithEdits(caller.role, settings.current.operatorsMayReplayWithEdits)) {
        throw new ForbiddenError(
          `replay with edits needs the admin role, or an admin's permission for operators (Settings → “Operators may replay with edits”); ${caller.name} is ${caller.role === 'admin' ? 'an' : 'a'} ${caller.role}`,
        );
      }
      const result = await relay.rerun.replayDelivery(id, Buffer.from(body));
      audit(caller, 'replay', replayAuditDetail(id, relay.read.storedRequest(id)?.body, body, result.statusCode));
      return result;
    },
    rerunJob: ({ id, thenResolve }, caller) => {
      const resolveJobId = resolveToFollow(relay, id, thenResolve === true);
      rerun(id);
      // Queued after the ALERT: per alert the oldest pending job goes first, so ilert sees ALERT, then RESOLVE.
      if (resolveJobId !== undefined) rerun(resolveJobId);
      audit(caller, 'retry', `retried ilert job ${id}${resolveJobId !== undefined ? ` and its RESOLVE (job ${resolveJobId})` : ''}`);
      return resolveJobId === undefined ? { queued: true as const } : { queued: true as const, resolveJobId };
    },
    sendJobNow: ({ id }, caller) => {
      if (!relay.outbox.sendNow(id, Date.now())) {
        throw new ConflictError(`ilert job ${id} is not waiting to be sent (unknown, being sent, or finished): “Re-run job” sends a finished one again`);
      }
      audit(caller, 'retry', `sent ilert job ${id} now instead of at its next retry`);
      return { queued: true as const };
    },
    retryAllFailed: async ({ filter }, caller) => {
      const { count, skipped } = await retryFailed(relay, filter);
      audit(caller, 'retry', `retried ${filter ? 'the failed ilert jobs matching a filter' : 'all failed ilert jobs'} (${count}, ${skipped} of resolved alerts left)`);
      return { count, skipped };
    },
    acceptAlert: ({ levelAlertId }, caller) => {
      if (!settings.current.ilertIntegrationKey && settings.current.ilertTargets.length === 0) throw new ConflictError('no ilert integration key is set');
      const jobId = relay.store.enqueueAccept(levelAlertId, caller.name);
      audit(caller, 'accept', `accepted alert ${levelAlertId} in ilert (job ${jobId})`);
      return { jobId };
    },
    pauseTarget: ({ target }, caller) => {
      relay.pausing.pause(target, caller.name);
      audit(caller, 'pause', `paused forwarding to ilert target ${target}`);
      return { paused: true as const };
    },
    resumeTarget: ({ target }, caller) => {
      const wasPaused = relay.pausing.resume(target);
      if (wasPaused) audit(caller, 'resume', `resumed forwarding to ilert target ${target}`);
      return { wasPaused };
    },
    getSetup: () => relay.setup.setupInfo(),
    checkIlertSource: async ({ integrationKey, apiKey }, caller) => {
      const result = await relay.setup.checkIlertSource(integrationKey, apiKey ?? settings.current.ilertApiKey);
      // Keys are secrets: the row says which keys were used (saved or typed in), never any part of them.
      const key = integrationKey.trim() === settings.current.ilertIntegrationKey ? 'the saved ilert integration key' : 'an ilert integration key that is not saved';
      const usedApiKey = (apiKey ?? settings.current.ilertApiKey)?.trim();
      const apiKeyUsed = !usedApiKey ? 'no API key' : usedApiKey === settings.current.ilertApiKey ? 'the saved API key' : 'an API key that is not saved';
      audit(caller, 'check', `checked ${key} with ${apiKeyUsed}: ${result.ok ? result.summary : `failed (${result.message})`}`);
      return result;
    },
    startTunnel: ({ kind }, caller) => {
      const tunnel = settings.current.tunnel === kind ? undefined : settings.update({ tunnel: kind });
      if (tunnel && !tunnel.ok) throw new ConflictError(Object.values(tunnel.errors).join('; '));
      audit(caller, 'setup', `started a ${kind} tunnel`);
      return relay.setup.startTunnel(kind);
    },
    stopTunnel: async (_input, caller) => {
      if (settings.current.tunnel !== 'off') settings.update({ tunnel: 'off' });
      await relay.setup.stopTunnel();
      audit(caller, 'setup', 'stopped the tunnel');
      return { stopped: true as const };
    },
    checkReachability: async ({ url }, caller) => {
      const { normalisedUrl, ...result } = await relay.setup.checkReachability(url);
      // A URL proven to reach this relay becomes the one Level is told to call.
      if (result.ok && url !== undefined && normalisedUrl && normalisedUrl !== settings.current.publicUrl) {
        const saved = settings.update({ publicUrl: normalisedUrl });
        if (!saved.ok) result.notes.push(`not saved: ${Object.values(saved.errors).join('; ')}`);
        else audit(caller, 'setup', `set the public URL to ${normalisedUrl} after a reachability check`);
      }
      audit(caller, 'check', `checked that ${result.checkedUrl} reaches this relay: ${result.ok ? 'it does' : `it does not (${result.message})`}`);
      return result;
    },
    startIntegrationTest: ({ mode }, caller) => {
      audit(caller, 'setup', `started the integration test (${mode})`);
      return relay.integrationTest.start(mode);
    },
    getIntegrationTest: () => relay.integrationTest.current(),
    cancelIntegrationTest: (_input, caller) => {
      audit(caller, 'setup', 'cancelled the integration test');
      return relay.integrationTest.cancel();
    },
    testLevelConnection: async (_input, caller) => {
      const check = await connectionCheck(async () => {
        const api = relay.clients.level();
        if (!api) throw new Error('no Level API key: paste one (Level → Settings → API keys)');
        await api.testConnection();
        return `connected to ${settings.current.levelApiUrl}`;
      });
      audit(caller, 'check', `tested the connection to the Level API: ${check.ok ? check.detail : `failed (${check.message})`}`);
      return check;
    },
    syncLevel: async (_input, caller) => {
      const check = await connectionCheck(async () => {
        const result = await relay.directory.syncAll();
        return `${result.groups} groups and ${result.devices} devices`;
      });
      audit(caller, 'sync', check.ok ? `synced ${check.detail} from Level` : `tried to sync groups and devices from Level: failed (${check.message})`);
      return check;
    },
    getRouting: () => relay.router.view(),
    setGroupRoute: ({ groupId, route }, caller) => {
      relay.router.setRoute(groupId, route);
      audit(caller, 'setup', route ? `routed Level group ${groupId} to ${route.target}` : `removed the route of Level group ${groupId}`);
      return relay.router.view();
    },
    backfillAlerts: async (_input, caller) => {
      if (!relay.clients.level()) throw new ConflictError('no Level API key: add one in Settings to backfill alerts from Level');
      audit(caller, 'rerun', 'backfilled alerts from Level');
      try {
        return await relay.reconciler.run('manual');
      } catch {
        return relay.reconciler.list(1)[0]!;
      }
    },
    listReconciliations: () => relay.reconciler.list(),
    createMember: ({ name, role }, caller) => {
      const current = openDoor();
      const { id, pairingCode } = relay.team.invite(name, role, caller);
      const pairingUrl = current.pairingUrl(pairingCode);
      return { id, pairingCode, pairingUrl, warning: current.kind === 'loopback' ? loopbackInviteWarning(pairingUrl) : undefined };
    },
    listMembers: () => relay.team.list(),
    revokeMember: ({ id }, caller) => {
      const member = relay.team.revoke(id, caller);
      door()?.revoked(id);
      return member;
    },
    changeMemberRole: ({ id, role }, caller) => relay.team.changeRole(id, role, caller),
    listAudit: ({ limit }) => relay.team.audit(limit),
    whoAmI: (_input, caller): CallerView => {
      const current = door();
      return {
        name: caller.name,
        role: caller.role,
        door: { kind: current?.kind ?? 'ipc', fingerprint256: current?.fingerprint256, adminUrl: current && caller.memberId === undefined ? current.adminUrl() : undefined },
      };
    },
    createMaintenanceWindow: async (input, caller) => {
      // Refused before anything is saved: a window asked for in ilert too is never half made by a bad request.
      const ilertTargets = input.alsoInIlert ? relay.ilertWindows.targetsFor(input) : undefined;
      const { view, described } = relay.windows.create(input, caller.name, Date.now());
      audit(caller, 'maintenance', `created maintenance window ${view.id} “${view.name}”: ${described}${view.reason ? ` (${view.reason})` : ''}`);
      if (!ilertTargets) return view;
      const inIlert = await relay.ilertWindows.open(view.id, { ...input, createdBy: caller.name }, ilertTargets, Date.now());
      const names = ilertTargets.map((target) => target.name).join(', ');
      audit(
        caller,
        'maintenance',
        inIlert.windowId !== undefined
          ? `created ilert maintenance window ${inIlert.windowId} for maintenance window ${view.id} (targets ${names})`
          : `could not create an ilert maintenance window for maintenance window ${view.id} (targets ${names}): ${inIlert.problem}`,
      );
      return relay.windows.get(view.id, Date.now()) ?? view;
    },
    listMaintenanceWindows: () => relay.windows.list(Date.now()),
    endMaintenanceWindow: async ({ id }, caller) => {
      const { view, wasOpen, endedEarly } = relay.releaser.endWindow(id, caller.name);
      if (wasOpen) audit(caller, 'maintenance', `ended maintenance window ${id} “${view.name}”; what it held is released`);
      const ilertWindowId = view.ilert?.windowId;
      if (!endedEarly || ilertWindowId === undefined) return view;
      const problem = await relay.ilertWindows.close(id, ilertWindowId);
      audit(
        caller,
        'maintenance',
        problem ? `could not delete ilert maintenance window ${ilertWindowId}: ${problem}` : `deleted ilert maintenance window ${ilertWindowId} with it`,
      );
      return relay.windows.get(id, Date.now()) ?? view;
    },
    sendHeldNow: ({ alertId }, caller) => {
      const released = relay.releaser.sendNow(alertId, caller.name);
      if (released === 0) throw new ConflictError(`alert ${alertId} has nothing held: it is unknown, or its events were already sent`);
      audit(caller, 'send-held', `sent ${released} held event(s) of alert ${alertId} now`);
      return { released };
    },
    listRules: () => relay.rules.list(),
    saveRules: ({ rules }, caller) => {
      const { view, described } = relay.rules.save(rules, caller.name, Date.now());
      audit(caller, 'rules', `saved ${rules.length} rule(s): ${described}`.slice(0, 2000));
      return view;
    },
    dryRunRules: ({ rules }) => relay.rules.dryRun(rules, Date.now()),
    rotateAdminToken: (_input, caller) => {
      const adminUrl = openDoor().rotateAdminToken();
      audit(caller, 'rotate', 'replaced the admin link; the old one no longer works');
      return { adminUrl: caller.memberId === undefined ? adminUrl : undefined };
    },
  };
}

export type CallResult = { ok: true; value: unknown } | { ok: false; status: number; error: ApiError };

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/** What each method does, in a person's words, for a refusal ("Changing a group's route needs an admin"). */
const ACTIONS: { readonly [M in MethodName]?: string } = {
  rerunDelivery: 'Re-running a delivery',
  replayDelivery: 'Replaying a delivery',
  rerunJob: 'Sending an ilert event again',
  retryAllFailed: 'Retrying failed ilert events',
  acceptAlert: 'Accepting an alert in ilert',
  pauseTarget: 'Pausing forwarding',
  resumeTarget: 'Resuming forwarding',
  checkIlertSource: 'Checking the ilert alert source',
  startTunnel: 'Starting the tunnel',
  stopTunnel: 'Stopping the tunnel',
  checkReachability: 'Checking the public URL',
  startIntegrationTest: 'Running the setup test',
  cancelIntegrationTest: 'Cancelling the setup test',
  testLevelConnection: 'Testing the Level API connection',
  syncLevel: 'Syncing from Level',
  setGroupRoute: 'Changing a group’s route',
  backfillAlerts: 'Backfilling alerts from Level',
  updateSettings: 'Changing settings',
  createMember: 'Inviting a team member',
  listMembers: 'Seeing the team’s members',
  revokeMember: 'Revoking a team member',
  rotateAdminToken: 'Rotating the admin link',
  changeMemberRole: 'Changing a team member’s role',
  sendJobNow: 'Sending an ilert event now',
  createMaintenanceWindow: 'Creating a maintenance window',
  endMaintenanceWindow: 'Ending a maintenance window',
  sendHeldNow: 'Sending a held alert now',
  saveRules: 'Changing the rules',
  dryRunRules: 'Trying rules on last week’s alerts',
  createSource: 'Adding a webhook source',
  updateSource: 'Changing a webhook source',
  deleteSource: 'Removing a webhook source',
  previewSourceTemplates: 'Previewing a source’s templates',
  lastSourceBody: 'Reading the last body a source received',
  testSource: 'Sending a test through a source',
  previewLevelTemplates: 'Previewing a target’s Level templates',
};

const withArticle = (role: string) => `${role === 'admin' || role === 'operator' ? 'an' : 'a'} ${role}`;

/** A refusal a person can act on: what they tried, who may, who they are, and whom to ask. */
function refusal(name: MethodName, needed: Role, caller: Caller): string {
  return `${ACTIONS[name] ?? 'This'} needs ${needed === 'admin' ? 'an admin' : 'an operator or an admin'} of this relay; you (${caller.name}) are ${withArticle(caller.role)}. Ask an admin if it should be done.`;
}

/**
 * Checks the caller's role, validates the input, runs the handler, and turns failures into errors
 * a UI can show. Both transports (admin HTTP and Electron IPC) go through here, so a role is
 * enforced in this one place. A failure that is not a RelayError is a bug: its stack goes to `log`
 * (the host's; a call on its own, as in a test, logs to the console).
 */
export async function callMethod(handlers: Handlers, name: MethodName, rawInput: unknown, caller: Caller = OWNER, log: Logger = consoleLogger().child('api')): Promise<CallResult> {
  const needed = METHOD_ROLES[name];
  if (!roleAllows(caller.role, needed)) {
    return {
      ok: false,
      status: 403,
      error: { code: 'forbidden', message: refusal(name, needed, caller) },
    };
  }
  const parsed = methods[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) return { ok: false, status: 400, error: { code: 'bad_input', message: z.prettifyError(parsed.error) } };
  try {
    const handler = handlers[name] as (input: unknown, caller: Caller) => unknown;
    return { ok: true, value: await handler(parsed.data, caller) };
  } catch (error) {
    if (error instanceof RelayError) return { ok: false, status: error.status, error: { code: error.code, message: error.message } };
    log.error(`${name}: ${(error as Error).stack ?? error}`);
    return { ok: false, status: 500, error: { code: 'internal', message: `${name} failed: ${(error as Error).message}` } };
  }
}
