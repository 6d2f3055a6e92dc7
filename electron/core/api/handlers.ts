import { z } from 'zod';
import { methods, type Handlers, type MethodName } from '../../../shared/contract.ts';
import { NotFoundError, type Relay } from '../relay.ts';
import type { SettingsService } from '../settings-service.ts';
import { UnknownAlertError } from '../store/store.ts';
import { UnknownTargetError } from '../routing/router.ts';
import type { ConnectionCheck } from '../../../shared/contract.ts';

/** An action the user asked for that cannot be done as asked: shown with its reason, not as a crash. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
}

async function connectionCheck(work: () => Promise<string | undefined>): Promise<ConnectionCheck> {
  try {
    return { ok: true, checkedAt: Date.now(), detail: await work() };
  } catch (error) {
    return { ok: false, checkedAt: Date.now(), message: (error as Error).message };
  }
}

/** The contract's methods, implemented on the relay core. */
export function createHandlers(relay: Relay, settings: SettingsService): Handlers {
  return {
    getStatus: () => relay.status(),
    listAlerts: (input) => relay.read.alertPage(input, Date.now()),
    listDeliveries: ({ filter, anchorId, offset, limit }) => relay.read.listDeliveries(filter, { anchorId, offset, limit }),
    getDelivery: ({ id }) => {
      const delivery = relay.read.getDelivery(id);
      if (!delivery) throw new NotFoundError(`no delivery ${id}`);
      return delivery;
    },
    getSettings: () => settings.view(),
    updateSettings: (patch) => settings.update(patch),
    rerunDelivery: ({ id }) => relay.rerunDelivery(id),
    rerunJob: ({ id }) => {
      relay.rerunJob(id);
      return { queued: true as const };
    },
    retryAllFailed: () => ({ count: relay.retryAllFailed() }),
    acceptAlert: ({ levelAlertId }) => {
      if (!settings.current.ilertIntegrationKey && settings.current.ilertTargets.length === 0) throw new ActionError('no ilert integration key is set');
      return { jobId: relay.store.enqueueAccept(levelAlertId, 'the technician') };
    },
    getSetup: () => relay.setupInfo(),
    checkIlertSource: ({ integrationKey, apiKey }) => relay.checkIlertSource(integrationKey, apiKey ?? settings.current.ilertApiKey),
    startTunnel: ({ kind }) => {
      const tunnel = settings.current.tunnel === kind ? undefined : settings.update({ tunnel: kind });
      if (tunnel && !tunnel.ok) throw new ActionError(Object.values(tunnel.errors).join('; '));
      return relay.startTunnel(kind);
    },
    stopTunnel: async () => {
      if (settings.current.tunnel !== 'off') settings.update({ tunnel: 'off' });
      await relay.stopTunnel();
      return { stopped: true as const };
    },
    checkReachability: async ({ url }) => {
      const { normalisedUrl, ...result } = await relay.checkReachability(url);
      // A URL proven to reach this relay becomes the one Level is told to call.
      if (result.ok && url !== undefined && normalisedUrl && normalisedUrl !== settings.current.publicUrl) {
        const saved = settings.update({ publicUrl: normalisedUrl });
        if (!saved.ok) result.notes.push(`not saved: ${Object.values(saved.errors).join('; ')}`);
      }
      return result;
    },
    startIntegrationTest: ({ mode }) => relay.integrationTest.start(mode),
    getIntegrationTest: () => relay.integrationTest.current(),
    cancelIntegrationTest: () => relay.integrationTest.cancel(),
    testLevelConnection: () =>
      connectionCheck(async () => {
        const api = relay.levelApi();
        if (!api) throw new Error('no Level API key: paste one (Level → Settings → API keys)');
        await api.testConnection();
        return `connected to ${settings.current.levelApiUrl}`;
      }),
    syncLevel: () =>
      connectionCheck(async () => {
        const result = await relay.directory.syncAll();
        return `${result.groups} groups and ${result.devices} devices`;
      }),
    getRouting: () => relay.router.view(),
    setGroupRoute: ({ groupId, route }) => {
      relay.router.setRoute(groupId, route);
      return relay.router.view();
    },
    backfillAlerts: async () => {
      if (!relay.levelApi()) throw new ActionError('no Level API key: add one in Settings to backfill alerts from Level');
      try {
        return await relay.reconciler.run('manual');
      } catch {
        return relay.reconciler.list(1)[0]!;
      }
    },
    listReconciliations: () => relay.reconciler.list(),
  };
}

export type CallResult = { ok: true; value: unknown } | { ok: false; status: number; error: { code: 'bad_input' | 'not_found' | 'internal'; message: string } };

const REFUSALS = [ActionError, UnknownAlertError, UnknownTargetError];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/**
 * Validates the input, runs the handler, and turns failures into errors a UI can show.
 * Both transports (admin HTTP and Electron IPC) go through here.
 */
export async function callMethod(handlers: Handlers, name: MethodName, rawInput: unknown): Promise<CallResult> {
  const parsed = methods[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) return { ok: false, status: 400, error: { code: 'bad_input', message: z.prettifyError(parsed.error) } };
  try {
    const handler = handlers[name] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    if (error instanceof NotFoundError) return { ok: false, status: 404, error: { code: 'not_found', message: error.message } };
    if (REFUSALS.some((type) => error instanceof type)) return { ok: false, status: 409, error: { code: 'bad_input', message: (error as Error).message } };
    console.error(`api ${name}: ${(error as Error).stack ?? error}`);
    return { ok: false, status: 500, error: { code: 'internal', message: `${name} failed: ${(error as Error).message}` } };
  }
}
