import { z } from 'zod';
import { methods, type Handlers, type MethodName } from '../../../shared/contract.ts';
import { NotFoundError, type Relay } from '../relay.ts';
import type { SettingsService } from '../settings-service.ts';

/** The contract's methods, implemented on the relay core. */
export function createHandlers(relay: Relay, settings: SettingsService): Handlers {
  return {
    getStatus: () => relay.status(),
    listAlerts: () => relay.read.listAlerts(Date.now()),
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
  };
}

export type CallResult = { ok: true; value: unknown } | { ok: false; status: number; error: { code: 'bad_input' | 'not_found' | 'internal'; message: string } };

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
    console.error(`api ${name}: ${(error as Error).stack ?? error}`);
    return { ok: false, status: 500, error: { code: 'internal', message: `${name} failed: ${(error as Error).message}` } };
  }
}
