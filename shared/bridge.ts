/**
 * What the Electron preload exposes to the renderer as `window.relay` (through contextBridge).
 * In a browser it is absent and the renderer uses the admin HTTP API and SSE instead.
 */
import type { ApiError, MethodName, PushedEvent } from './contract.ts';

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** Where the main process asks the window to go, e.g. after a notification was clicked. */
export type NavigateTarget = { view: 'alerts'; levelAlertId?: string } | { view: 'deliveries'; deliveryId?: number } | { view: 'settings' };

export interface RelayBridge {
  invoke(method: MethodName, input: unknown): Promise<InvokeResult>;
  onChanges(listener: (changes: PushedEvent<'changes'>) => void): () => void;
  onNavigate(listener: (target: NavigateTarget) => void): () => void;
}

export const IPC_INVOKE_PREFIX = 'relay:invoke:';
export const IPC_CHANGES_CHANNEL = 'relay:changes';
export const IPC_NAVIGATE_CHANNEL = 'relay:navigate';
