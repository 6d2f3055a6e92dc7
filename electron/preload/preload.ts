/**
 * The renderer's only door to the main process, generated from the shared contract: one invoke
 * per contract or desktop method (unknown names never reach IPC) and two subscriptions. No raw ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { desktopMethods, IPC_CHANGES_CHANNEL, IPC_INVOKE_PREFIX, IPC_NAVIGATE_CHANNEL, type RelayBridge } from '../../shared/bridge.ts';
import { methods } from '../../shared/contract.ts';

const methodNames = new Set<string>([...Object.keys(methods), ...Object.keys(desktopMethods)]);

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const handler = (_event: IpcRendererEvent, value: T) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => ipcRenderer.off(channel, handler);
}

const bridge: RelayBridge = {
  invoke: (method, input) =>
    methodNames.has(method)
      ? ipcRenderer.invoke(`${IPC_INVOKE_PREFIX}${method}`, input)
      : Promise.resolve({ ok: false, error: { code: 'not_found', message: `no method ${String(method)}` } }),
  onChanges: (listener) => subscribe(IPC_CHANGES_CHANNEL, listener),
  onNavigate: (listener) => subscribe(IPC_NAVIGATE_CHANNEL, listener),
};

contextBridge.exposeInMainWorld('relay', bridge);
