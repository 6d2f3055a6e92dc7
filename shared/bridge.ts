/**
 * What the Electron preload exposes to the renderer as `window.relay` (through contextBridge).
 * In a browser it is absent and the renderer uses the admin HTTP API and SSE instead.
 */
import { z } from 'zod';
import type { ApiError, MethodName, PushedEvent } from './contract.ts';

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** Where the main process asks the window to go, e.g. after a notification was clicked. */
export type NavigateTarget = { view: 'alerts'; levelAlertId?: string } | { view: 'deliveries'; deliveryId?: number } | { view: 'settings' };

/** Why the desktop app's relay did not start, and what the user can do about it. */
export const startupProblemSchema = z.object({
  kind: z.enum(['settings', 'secrets', 'database']),
  message: z.string(),
  dataDir: z.string(),
  /** For `secrets`: the settings whose stored value cannot be decrypted. */
  secrets: z.array(z.string()).default([]),
  /** False when RELAY_DATA_DIR fixes the directory, so choosing another cannot help. */
  canChooseDataDir: z.boolean(),
});

/** Methods only the desktop app has: one typed map, registered and checked like the contract's. */
export const desktopMethods = {
  getStartupProblem: { input: z.object({}).strict(), output: startupProblemSchema.nullable() },
  resolveStartupProblem: {
    input: z.discriminatedUnion('action', [
      z.object({ action: z.literal('retry') }),
      z.object({ action: z.literal('chooseDataDir') }),
      z.object({ action: z.literal('quit') }),
      /** New values for undecryptable secrets; an empty string forgets that secret. */
      z.object({ action: z.literal('replaceSecrets'), values: z.record(z.string(), z.string().max(4096)) }),
    ]),
    output: z.object({ started: z.boolean(), problem: startupProblemSchema.nullable() }),
  },
  openLogs: { input: z.object({}).strict(), output: z.object({ path: z.string() }) },
} as const;

export type DesktopMethodName = keyof typeof desktopMethods;
export type StartupProblem = z.output<typeof startupProblemSchema>;
export type DesktopHandlers = {
  [M in DesktopMethodName]: (input: z.output<(typeof desktopMethods)[M]['input']>) => Promise<z.output<(typeof desktopMethods)[M]['output']>> | z.output<(typeof desktopMethods)[M]['output']>;
};

export interface RelayBridge {
  invoke(method: MethodName | DesktopMethodName, input: unknown): Promise<InvokeResult>;
  onChanges(listener: (changes: PushedEvent<'changes'>) => void): () => void;
  onNavigate(listener: (target: NavigateTarget) => void): () => void;
}

export const IPC_INVOKE_PREFIX = 'relay:invoke:';
export const IPC_CHANGES_CHANNEL = 'relay:changes';
export const IPC_NAVIGATE_CHANNEL = 'relay:navigate';
