import { IPC_INVOKE_PREFIX, type InvokeResult } from '../../shared/bridge.ts';
import { methods, type Handlers, type MethodName } from '../../shared/contract.ts';
import { callMethod } from '../core/api/handlers.ts';
import { isTrustedSenderUrl } from '../core/desktop/app-protocol.ts';
import type { ElectronApi } from './electron-api.ts';

/** One handler per contract method; each checks the sender's frame and validates its input. */
export function registerIpcHandlers(ipcMain: ElectronApi['ipcMain'], handlers: Handlers): void {
  for (const name of Object.keys(methods) as MethodName[]) {
    ipcMain.handle(`${IPC_INVOKE_PREFIX}${name}`, async (event, input: unknown): Promise<InvokeResult> => {
      if (!isTrustedSenderUrl(event.senderFrame?.url)) {
        return { ok: false, error: { code: 'bad_input', message: 'refused: the request did not come from the app' } };
      }
      const result = await callMethod(handlers, name, input);
      return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
    });
  }
}
