import type { AppTopic } from './app-events.ts';
import { ApiClients } from './api-clients.ts';
import type { RelayParts } from './api/handlers.ts';
import type { RelayChange } from './change-batcher.ts';
import { Forwarder, type ForwarderOptions } from './forwarder/forwarder.ts';
import { TargetPausing } from './forwarder/target-pausing.ts';
import { Heartbeat } from './heartbeat.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { Processor } from './ingest/processor.ts';
import { sourceSettingsOf } from './ingest/source-ingest.ts';
import { Periodic } from './periodic.ts';
import { HoldReleaser } from './quiet/hold-releaser.ts';
import { MaintenanceWindows } from './quiet/maintenance.ts';
import { IlertWindows } from './quiet/ilert-windows.ts';
import { RuleBook, ruleHold } from './rules/rule-book.ts';
import { SourceSetup } from './setup/source-setup.ts';
import { IlertStateSync } from './reconcile/ilert-state-sync.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { Receiver, WEBHOOK_PATH, type ReceiverLimits } from './receiver/receiver.ts';
import { Rerun } from './receiver/rerun.ts';
import { LevelDirectory } from './routing/directory.ts';
import { Router } from './routing/router.ts';
import type { Settings } from './settings.ts';
import { IntegrationTestRunner } from './setup/integration-test.ts';
import { SetupService } from './setup/setup-service.ts';
import { RelayStatus } from './status/relay-status.ts';
import { HeldJobs } from './store/held-jobs.ts';
import { IlertStateRepository } from './store/ilert-state.ts';
import { MaintenanceWindowRows } from './store/maintenance-windows.ts';
import { Outbox } from './store/outbox.ts';
import { ReadModels } from './store/read-models.ts';
import { Reconciliations } from './store/reconciliations.ts';
import { Retention } from './store/retention.ts';
import { RuleRows } from './store/rules.ts';
import { Store, type StoreOptions } from './store/store.ts';
import { TargetPauses } from './store/target-pauses.ts';
import { GroupRoutes } from './store/group-routes.ts';
import { Team } from './store/team.ts';
import { configuredTargets, integrationKeyTargets, resolveTarget, targetNames } from './targets.ts';
import type { Logger } from './logger.ts';

const ALERT_SOURCE_CHECK_INTERVAL_MS = 60 * 60_000;

/** Knobs for tests and benchmarks; users configure the relay through Settings. */
export type RelayTuning = Pick<ForwarderOptions, 'backoff' | 'rateWindowMs' | 'rateLimitPauseMs' | 'requestTimeoutMs' | 'maxInFlight' | 'clock' | 'storeRetryMs'> &
  StoreOptions & {
    heartbeatIntervalMs?: number;
    ilertPollMs?: number;
    reconcileIntervalMs?: number;
    /** The integration test's wait per hop, and how often it polls ilert. */
    testHopTimeoutMs?: number;
    testPollMs?: number;
    /** ilert's per-user-key request window (tests shorten it). */
    ilertApiWindowMs?: number;
    receiverLimits?: Partial<ReceiverLimits>;
    /** How long store changes are gathered before one `changes` event carries them all. */
    changeBatchMs?: number;
    /** With deliveries waiting, how long without processing progress counts as stalled. */
    processorStallMs?: number;
  };

/** What the parts need of the relay hosting them: who it is, its settings of the moment, where it listens. */
export interface PartsHost {
  dataDir: string;
  tuning: RelayTuning;
  instanceId: string;
  log: Logger;
  settings: () => Settings;
  receiverUrl: () => string | undefined;
  /** Every change, row or app topic, as it happens. */
  changed: (change: RelayChange) => void;
}

/**
 * Every part of the relay, built once, in dependency order: the one place where the relay is
 * wired. A part gets the parts it uses; nothing here behaves.
 */
export function buildParts(host: PartsHost) {
  const { tuning, settings, log } = host;
  const store = new Store(host.dataDir, { ...tuning, log: log.child('store') });
  /** Bumped on every announcement; with the store's own version, the status read is current while both stay the same. */
  let appVersion = 0;
  const announce = (topic: AppTopic): void => {
    if (store.closed) return;
    appVersion++;
    host.changed({ kind: 'app', topic });
  };
  const outbox = new Outbox(store);
  const read = new ReadModels(store);
  const team = new Team(store);
  const clients = new ApiClients(settings, tuning.ilertApiWindowMs);
  const retention = new Retention(store, team, settings, (error) => log.error(`retention: ${error.message}`));
  const forwarder = new Forwarder({
    store,
    outbox,
    resolveTarget: (target) => resolveTarget(settings(), target),
    eventsPerMinute: () => settings().ilertEventsPerMinute,
    stateChanged: () => announce('forwarding'),
    ...tuning,
    log: log.child('forwarder'),
  });
  const pauses = new TargetPauses(store);
  const pausing = new TargetPausing({ pauses, forwarder, settings, announce });
  const directory = new LevelDirectory(store, () => clients.level(), announce);
  const router: Router = new Router({
    store,
    routes: new GroupRoutes(store),
    pauses,
    directory,
    settings,
    log: log.child('routing'),
    routesChanged: () => void reconciler.releaseHeld().catch((error: unknown) => log.error(`routing: could not send held alerts: ${(error as Error).message}`)),
  });
  const windowRows = new MaintenanceWindowRows(store);
  const windows = new MaintenanceWindows(windowRows);
  const ilertWindows = new IlertWindows({
    rows: windowRows,
    api: () => clients.ilert(),
    // A pass-through default target has no integration key to find its alert source by: listed, so the option can say why it cannot.
    targets: () => configuredTargets(settings()).map(({ name, resolved }) => ({ name, integrationKey: resolved.kind === 'events' ? resolved.integrationKey : undefined })),
  });
  const rules = new RuleBook(new RuleRows(store), {
    targets: () => targetNames(settings()),
    device: (id) => directory.device(id),
    groupsOf: (groupId) => [groupId, ...directory.tree().ancestorsOf(groupId)],
    log: log.child('rules'),
  });
  const holdFor = (deviceId: string | undefined, target: string, now: number) => windows.holdFor({ deviceId, groupIds: () => router.groupsOf(deviceId), target }, now);
  const releaser = new HoldReleaser({
    store,
    log: log.child('holds'),
    held: new HeldJobs(store),
    windows,
    recheck: (job, now) => holdFor(job.deviceId, job.target, now),
    // With a Level API key, first confirm with Level what is still active: reconciliation resolves the rest.
    beforeRelease: async () => {
      if (clients.level()) await reconciler.run('schedule');
    },
  });
  const sources = () => sourceSettingsOf(settings());
  const processor = new Processor({
    store,
    log: log.child('processor'),
    sources,
    policy: () => ({
      highPrioritySeverities: settings().highPrioritySeverities,
      // Rules decide after routing. The setup test's alert is a person asking for a page to check the
      // path: no rule, window, hold-down or grace holds it.
      routeFor: (alert) =>
        alert.id === integrationTest.runningTestAlertId() ? { ...router.routeFor(alert), holdDownSeconds: 0, resolveGraceSeconds: 0 } : rules.apply(alert, router.routeFor(alert)),
      holdFor: (alert, route, now) => (alert.id === integrationTest.runningTestAlertId() ? undefined : (ruleHold(route) ?? holdFor(alert.device_id, route.target, now))),
      rulesFor: (alert, route) => rules.apply(alert, route),
      levelTemplatesFor: (target) => settings().ilertTargets.find((entry) => entry.name === target)?.levelTemplates,
    }),
    beforeApply: (alert) => router.lookUpDevice(alert),
    // A device or group changed in Level: the API's current record replaces the mirror's (404 = deleted).
    applied: (envelope) =>
      void directory.refreshFromWebhook(envelope).catch((error: unknown) => log.error(`level: could not refresh ${envelope.data.id}: ${(error as Error).message}`)),
    ...(tuning.processorStallMs ? { stallMs: tuning.processorStallMs } : {}),
  });
  const ingest: IngestPipeline = new IngestPipeline({
    store,
    log: log.child('receiver'),
    secrets: () => ({ current: settings().levelWebhookSecret, previous: settings().levelWebhookSecretPrevious, automation: settings().levelAutomationSecret }),
    sources,
    processor,
  });
  const rerun = new Rerun({ read, ingest, settings });
  const receiver = new Receiver({
    log: log.child('receiver'),
    instanceId: host.instanceId,
    ingest,
    unhealthy: () => store.health.problem() ?? processor.stalledReason(),
    limits: tuning.receiverLimits,
    pressureChanged: () => announce('public-port'),
    sources: () => sourceSettingsOf(settings()),
  });
  const heartbeat = new Heartbeat({
    url: () => settings().ilertHeartbeatUrl,
    unhealthy: () => status.unhealthyReason(),
    ...(tuning.heartbeatIntervalMs ? { intervalMs: tuning.heartbeatIntervalMs } : {}),
  });
  const reconciler: Reconciler = new Reconciler({
    store,
    reconciliations: new Reconciliations(store),
    api: () => clients.level(),
    ingest: (envelope) => ingest.madeUp('reconciled', '/reconcile', envelope),
    routeHolds: async (alert) => {
      await router.lookUpDevice(alert);
      // As the ingest would decide: a rule that routes an alert lifts its route's skip.
      return rules.apply(alert, router.routeFor(alert)).skip;
    },
    runningTestAlertId: () => integrationTest.runningTestAlertId(),
    ...(tuning.reconcileIntervalMs ? { intervalMs: tuning.reconcileIntervalMs } : {}),
  });
  const ilertState = new IlertStateSync({
    store,
    repository: new IlertStateRepository(store),
    announce: announce,
    api: () => clients.ilert(),
    integrationKeys: () => integrationKeyTargets(settings()).map((target) => target.integrationKey),
    ...(tuning.ilertPollMs ? { intervalMs: tuning.ilertPollMs } : {}),
  });
  const setup = new SetupService({
    settings,
    instanceId: host.instanceId,
    receiverUrl: host.receiverUrl,
    ilertApi: (apiKey) => clients.ilert(apiKey),
    announce: announce,
  });
  const sourceChecks = new Periodic(async () => setup.checkAlertSources(), ALERT_SOURCE_CHECK_INTERVAL_MS);
  const integrationTest: IntegrationTestRunner = new IntegrationTestRunner({
    store,
    log: log.child('setup test'),
    announce: announce,
    webhookUrl: () => {
      const { publicUrl } = settings();
      if (publicUrl) return { url: `${publicUrl}${WEBHOOK_PATH}`, public: true };
      const receiverUrl = host.receiverUrl();
      return receiverUrl ? { url: receiverUrl, public: false } : undefined;
    },
    secret: () => settings().levelWebhookSecret,
    ilertApi: () => clients.ilert(),
    sendsEvents: () => !settings().ilertPassThroughUrl,
    ingest: (envelope) => ingest.madeUp('test', '/setup/test', envelope),
    reachedThrough: (webhookUrl) => setup.reachedThrough(webhookUrl),
    hopTimeoutMs: tuning.testHopTimeoutMs,
    pollMs: tuning.testPollMs,
  });
  const sourceSetup = new SourceSetup({
    store,
    origin: () => {
      const { publicUrl } = settings();
      const receiverUrl = host.receiverUrl();
      return publicUrl ? { url: publicUrl, public: true } : receiverUrl ? { url: new URL(receiverUrl).origin, public: false } : undefined;
    },
    hopTimeoutMs: tuning.testHopTimeoutMs,
  });
  const status: RelayStatus = new RelayStatus({
    store,
    read,
    outbox,
    receiver,
    processor,
    forwarder,
    pausing,
    heartbeat,
    setup,
    directory,
    ilertState,
    clients,
    settings,
    receiverUrl: host.receiverUrl,
    version: () => store.version + appVersion,
    announce,
  });
  return {
    announce,
    log,
    store,
    read,
    outbox,
    team,
    clients,
    retention,
    forwarder,
    pausing,
    directory,
    router,
    windows,
    ilertWindows,
    rules,
    releaser,
    processor,
    ingest,
    rerun,
    receiver,
    heartbeat,
    reconciler,
    ilertState,
    setup,
    sourceChecks,
    integrationTest,
    sourceSetup,
    status,
  } satisfies RelayParts & Record<string, unknown>;
}

export type Parts = ReturnType<typeof buildParts>;
