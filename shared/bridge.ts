/**
 * What the Electron preload exposes to the renderer as `window.relay` (through contextBridge).
 * In a browser it is absent and the renderer uses the admin HTTP API and SSE instead.
 */
import { z } from 'zod';
import { SEVERITY_LEVELS, type ApiError, type MethodName, type PushedEvent } from './contract.ts';

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** Where the main process asks the window to go, e.g. after a notification was clicked. */
export type NavigateTarget =
  | { view: 'alerts'; levelAlertId?: string }
  | { view: 'deliveries'; deliveryId?: number }
  | { view: 'settings' }
  /** `newWindow`: the new maintenance window form open (the tray's "Maintenance…"). */
  | { view: 'routing'; newWindow?: true };

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

/** Which relay the desktop app uses: its own, a team relay it attached to, or not chosen yet (first start). */
export const connectionViewSchema = z.object({
  mode: z.enum(['unchosen', 'local', 'remote']),
  origin: z.string().optional(),
  fingerprint256: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
  connected: z.boolean().optional(),
  disconnectedSince: z.number().optional(),
  lastError: z.string().optional(),
  /** This technician's own notification preferences while attached to a team relay. */
  notifyMinSeverity: z.enum(SEVERITY_LEVELS).optional(),
  notifyResolves: z.boolean().optional(),
});

/** The desktop app's update check (electron/core/desktop/updates.ts): what it found, and the restart it offers. */
export const updateViewSchema = z.object({
  phase: z.enum(['off', 'idle', 'checking', 'downloading', 'ready', 'failed']),
  currentVersion: z.string(),
  version: z.string().optional(),
  checkedAt: z.number().optional(),
  /** Why checks are off, or why the last one failed. */
  reason: z.string().optional(),
  offer: z.object({ label: z.string(), detail: z.string() }).optional(),
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
  getConnection: { input: z.object({}).strict(), output: connectionViewSchema },
  /** The certificate a team relay presents, for the person to compare with the one it printed. */
  probeTeamRelay: { input: z.object({ url: z.string().min(1).max(2000) }), output: z.object({ origin: z.string(), fingerprint256: z.string() }) },
  /** Pairs with the confirmed certificate pinned, then runs against the team relay instead of a local one. */
  connectTeamRelay: {
    input: z.object({ url: z.string().min(1).max(2000), code: z.string().trim().min(1).max(100), fingerprint256: z.string().min(1).max(200) }),
    output: connectionViewSchema,
  },
  /** "Run the relay here": detaches from a team relay (or records the first-start choice). */
  useLocalRelay: { input: z.object({}).strict(), output: connectionViewSchema },
  updateTeamNotifications: {
    input: z.object({ notifyMinSeverity: z.enum(SEVERITY_LEVELS), notifyResolves: z.boolean() }),
    output: connectionViewSchema,
  },
  getUpdate: { input: z.object({}).strict(), output: updateViewSchema },
  /** Installs the downloaded update: the relay stops cleanly, the app restarts on the new version. */
  restartToUpdate: { input: z.object({}).strict(), output: z.object({ restarting: z.boolean() }) },
} as const;

export type DesktopMethodName = keyof typeof desktopMethods;
export type StartupProblem = z.output<typeof startupProblemSchema>;
export type ConnectionView = z.output<typeof connectionViewSchema>;
export type UpdateView = z.output<typeof updateViewSchema>;
export type DesktopHandlers = {
  [M in DesktopMethodName]: (
    input: z.output<(typeof desktopMethods)[M]['input']>,
  ) => Promise<z.output<(typeof desktopMethods)[M]['output']>> | z.output<(typeof desktopMethods)[M]['output']>;
};

export interface RelayBridge {
  invoke(method: MethodName | DesktopMethodName, input: unknown): Promise<InvokeResult>;
  onChanges(listener: (changes: PushedEvent<'changes'>) => void): () => void;
  onNavigate(listener: (target: NavigateTarget) => void): () => void;
}

export const IPC_INVOKE_PREFIX = 'relay:invoke:';
export const IPC_CHANGES_CHANNEL = 'relay:changes';
export const IPC_NAVIGATE_CHANNEL = 'relay:navigate';

/** What the main process pushes to the window, by name: its channel and its payload. */
export const IPC_PUSH_CHANNELS = { changes: IPC_CHANGES_CHANNEL, navigate: IPC_NAVIGATE_CHANNEL } as const;
export interface PushPayloads {
  changes: PushedEvent<'changes'>;
  navigate: NavigateTarget;
}
export type PushName = keyof typeof IPC_PUSH_CHANNELS & keyof PushPayloads;
