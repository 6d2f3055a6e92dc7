import { z } from 'zod';
import { desktopMethods, IPC_INVOKE_PREFIX, type DesktopHandlers, type DesktopMethodName, type InvokeResult } from '../../shared/bridge.ts';
import { methods, type MethodName } from '../../shared/contract.ts';
import type { CallResult } from '../core/api/handlers.ts';
import { isTrustedSenderUrl } from '../core/desktop/app-protocol.ts';
import type { Logger } from '../core/logger.ts';
import type { ElectronApi } from './electron-api.ts';

type SenderEvent = { senderFrame?: { url: string } | null };
const refused: InvokeResult = { ok: false, error: { code: 'bad_input', message: 'refused: the request did not come from the app' } };

/** Runs one contract method: on this app's own relay (callMethod), or on the team relay it attached to. */
export type ContractCall = (name: MethodName, input: unknown) => Promise<CallResult>;

/**
 * One handler per contract and desktop method, registered once for the app's lifetime (Electron
 * refuses a second registration). Each checks the sender's frame and validates its input; contract
 * calls go to whatever `relay()` answers with now — the running relay, a team relay, or a
 * stand-in that explains why neither is there.
 */
export function registerIpcHandlers(ipcMain: ElectronApi['ipcMain'], relay: () => ContractCall, desktop: DesktopHandlers, log: Logger): void {
  const handle = (name: string, run: (input: unknown) => Promise<InvokeResult>) =>
    ipcMain.handle(`${IPC_INVOKE_PREFIX}${name}`, (event: SenderEvent, input: unknown) => (isTrustedSenderUrl(event.senderFrame?.url) ? run(input) : Promise.resolve(refused)));

  for (const name of Object.keys(methods) as MethodName[]) {
    handle(name, async (input) => {
      const result = await relay()(name, input);
      return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
    });
  }
  for (const name of Object.keys(desktopMethods) as DesktopMethodName[]) {
    handle(name, async (input) => {
      const parsed = desktopMethods[name].input.safeParse(input ?? {});
      if (!parsed.success) return { ok: false, error: { code: 'bad_input', message: z.prettifyError(parsed.error) } };
      try {
        return { ok: true, value: await (desktop[name] as (value: unknown) => unknown)(parsed.data) };
      } catch (error) {
        log.error(`${name}: ${(error as Error).message}`);
        return { ok: false, error: { code: 'internal', message: `${name} failed: ${(error as Error).message}` } };
      }
    });
  }
}

/** The contract while no relay is running: every method says why, and nothing pretends. */
export function unavailable(reason: () => string): ContractCall {
  return async () => ({ ok: false, status: 503, error: { code: 'unavailable', message: reason() } });
}
