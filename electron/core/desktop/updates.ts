/**
 * When the desktop app looks for a new release, and what it offers. The app never updates by
 * itself: electron-updater downloads a newer release in the background, and only the person's
 * "Restart to update" (tray or Health) installs it. Pure: electron/main/updater.ts feeds it
 * electron-updater's events (https://www.electron.build/auto-update#events) and a clock.
 */

/** Often enough that a fix reaches a machine left running for days; rarely enough that GitHub's release feed never rate-limits it. */
export const UPDATE_CHECK_INTERVAL_MS = 6 * 60 * 60_000;

export type UpdatePhase = 'off' | 'idle' | 'checking' | 'downloading' | 'ready' | 'failed';

export interface UpdateState {
  phase: UpdatePhase;
  /** The version found (downloading) or downloaded (ready). */
  version?: string;
  /** When the last check ended (found something, nothing, or failed). */
  checkedAt?: number;
  /** Why checks are off ('off') or why the last one failed ('failed'). */
  reason?: string;
}

export type UpdaterEvent =
  { type: 'checking' } | { type: 'available'; version: string } | { type: 'not-available' } | { type: 'downloaded'; version: string } | { type: 'error'; message: string };

export interface UpdateConditions {
  /** app.isPackaged: false for `npm start` and `electron .`, which must never replace themselves. */
  isPackaged: boolean;
  /** Settings → "Check for updates". */
  enabled: boolean;
}

/** Where checking starts: off in a development run or when switched off, else waiting for the first check. */
export function initialUpdateState({ isPackaged, enabled }: UpdateConditions): UpdateState {
  if (!isPackaged) return { phase: 'off', reason: 'a development run (npm start) never updates itself' };
  if (!enabled) return { phase: 'off', reason: 'switched off in Settings' };
  return { phase: 'idle' };
}

/** Switching the setting: off stops checking (a downloaded update stays offered); on checks again soon. */
export function withUpdatesEnabled(state: UpdateState, conditions: UpdateConditions): UpdateState {
  if (state.phase === 'ready') return state;
  const fresh = initialUpdateState(conditions);
  return fresh.phase === state.phase && fresh.reason === state.reason ? state : fresh;
}

/** Semantic versions (major.minor.patch[-prerelease]): is `candidate` newer than `current`? */
export function isNewerVersion(candidate: string, current: string): boolean {
  const parse = (version: string) => {
    const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version.trim());
    return match ? { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] } : undefined;
  };
  const a = parse(candidate);
  const b = parse(current);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! > b.core[i]!;
  if (a.pre === b.pre) return false;
  // 1.2.0 is newer than 1.2.0-beta.1; between pre-releases, compare their identifiers in order.
  if (!a.pre) return true;
  if (!b.pre) return false;
  const left = a.pre.split('.');
  const right = b.pre.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const [x, y] = [left[i], right[i]];
    if (x === undefined) return false;
    if (y === undefined) return true;
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x) ? Number(x) : undefined, /^\d+$/.test(y) ? Number(y) : undefined];
    if (nx !== undefined && ny !== undefined) return nx > ny;
    if (nx !== undefined) return false;
    if (ny !== undefined) return true;
    return x > y;
  }
  return false;
}

/**
 * The state after one of electron-updater's events. A downloaded update stays offered whatever
 * later checks say (a failed check does not take back a file already verified); a feed that names
 * this version or an older one offers nothing.
 */
export function nextUpdateState(state: UpdateState, event: UpdaterEvent, now: number, currentVersion: string): UpdateState {
  if (state.phase === 'off') return state;
  const offered = state.phase === 'ready' ? state : undefined;
  switch (event.type) {
    case 'checking':
      return offered ?? { ...state, phase: 'checking', reason: undefined };
    case 'available':
      if (!isNewerVersion(event.version, currentVersion)) return offered ?? { phase: 'idle', checkedAt: now };
      if (offered && !isNewerVersion(event.version, offered.version!)) return { ...offered, checkedAt: now };
      return { phase: 'downloading', version: event.version, checkedAt: now };
    case 'not-available':
      return offered ? { ...offered, checkedAt: now } : { phase: 'idle', checkedAt: now };
    case 'downloaded':
      if (!isNewerVersion(event.version, currentVersion)) return offered ?? { phase: 'idle', checkedAt: now };
      return { phase: 'ready', version: event.version, checkedAt: state.checkedAt ?? now };
    case 'error':
      return offered ? { ...offered, checkedAt: now } : { phase: 'failed', checkedAt: now, reason: event.message };
  }
}

/** Whether to ask the feed now: checks on, none running, nothing waiting for a restart, and the last one long enough ago. */
export function updateCheckDue(state: UpdateState, now: number): boolean {
  if (state.phase !== 'idle' && state.phase !== 'failed') return false;
  return state.checkedAt === undefined || now - state.checkedAt >= UPDATE_CHECK_INTERVAL_MS;
}

/** What the tray menu and Health say: only a downloaded update is offered, as a question. */
export function updateOffer(state: UpdateState): { version: string; label: string; detail: string } | undefined {
  if (state.phase !== 'ready' || !state.version) return undefined;
  return {
    version: state.version,
    label: `Version ${state.version} is available — restart to update`,
    detail: 'It is downloaded and installs only when you choose Restart to update: the relay first finishes what it is sending to ilert, then the app restarts on the new version.',
  };
}
