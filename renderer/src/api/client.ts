/**
 * The renderer's one door to the relay, typed by the shared contract. Inside Electron it goes
 * through the preload bridge (`window.relay`); in a browser through the admin HTTP API
 * (`POST /api/<method>`, same origin, cookie auth) and server-sent events (`GET /api/events`).
 */
import type { DesktopMethodName, NavigateTarget, RelayBridge, StartupProblem } from '../../../shared/bridge.ts';
import type { ApiError, MethodInput, MethodName, MethodOutput, PushedEvent } from '../../../shared/contract.ts';

declare global {
  interface Window {
    relay?: RelayBridge;
  }
}

export type Changes = PushedEvent<'changes'> & {
  /** Set when live updates reconnected: something may have been missed, so reload everything. */
  resync?: boolean;
};
export type ChangeListener = (changes: Changes) => void;
export type LiveState = 'connecting' | 'live' | 'offline';

/** A failed call, with the relay's own message (or why the relay could not be reached). */
export class RelayApiError extends Error {
  override readonly name = 'RelayApiError';
  readonly code: ApiError['code'] | 'unreachable';
  readonly status: number | undefined;

  constructor(code: RelayApiError['code'], message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function bridge(): RelayBridge | undefined {
  return typeof window !== 'undefined' ? window.relay : undefined;
}

export const inElectron = (): boolean => bridge() !== undefined;

/** Calls one contract method and resolves with its typed output, or rejects with a RelayApiError. */
export async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const relay = bridge();
  if (relay) {
    let result;
    try {
      result = await relay.invoke(method, input);
    } catch (error) {
      throw new RelayApiError('unreachable', `the relay did not answer ${method}: ${(error as Error).message}`);
    }
    if (!result.ok) throw new RelayApiError(result.error.code, result.error.message);
    return result.value as MethodOutput<M>;
  }

  let response: Response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input ?? {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new RelayApiError('unreachable', 'the relay is not answering: is it still running?');
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.status === 401) markStale();
  if (!response.ok) {
    const error = (json as { error?: Partial<ApiError> } | undefined)?.error;
    throw new RelayApiError(error?.code ?? 'internal', error?.message ?? `${method} failed with HTTP ${response.status}`, response.status);
  }
  return json as MethodOutput<M>;
}

// ---- a token that stopped working ----------------------------------------------------------

let stale = false;
const staleListeners = new Set<() => void>();

/** The relay no longer accepts this tab's token (rotated, revoked, or a relay with another one). */
function markStale(): void {
  if (stale) return;
  stale = true;
  stopSource?.();
  stopSource = undefined;
  setLive('offline');
  for (const listener of [...staleListeners]) listener();
}

/** Calls `listener` once the token is found stale; a reload with a valid link is the way back. */
export function onStaleToken(listener: () => void): () => void {
  staleListeners.add(listener);
  if (stale) listener();
  return () => staleListeners.delete(listener);
}

/** An EventSource hides the status of a failed connection: one call tells a stale token from a relay that is down. */
async function checkToken(): Promise<void> {
  try {
    const response = await fetch('/api/whoAmI', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) markStale();
  } catch {
    // Not answering at all: the relay is down or restarting, not a token problem.
  }
}

// ---- pushed changes -------------------------------------------------------------------------

const listeners = new Set<ChangeListener>();
const liveListeners = new Set<(state: LiveState) => void>();
let liveState: LiveState = 'connecting';
let stopSource: (() => void) | undefined;

function emit(changes: Changes): void {
  for (const listener of [...listeners]) {
    try {
      listener(changes);
    } catch (error) {
      console.error('change listener failed', error);
    }
  }
}

function setLive(state: LiveState): void {
  if (state === liveState) return;
  liveState = state;
  for (const listener of [...liveListeners]) listener(state);
}

const RESYNC: Changes = { deliveries: [], jobs: [], alerts: [], resync: true };

/** One EventSource for all listeners; reopened after a failure, with a resync so nothing is missed. */
function openEventStream(): () => void {
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let everOpened = false;
  let closed = false;

  const open = () => {
    source = new EventSource('/api/events');
    source.addEventListener('open', () => {
      setLive('live');
      if (everOpened) emit(RESYNC);
      everOpened = true;
    });
    source.addEventListener('changes', (event) => {
      try {
        emit(JSON.parse((event as MessageEvent<string>).data) as Changes);
      } catch (error) {
        console.error('bad changes event', error);
      }
    });
    source.addEventListener('error', () => {
      if (closed) return;
      setLive('offline');
      void checkToken();
      // The browser retries by itself after a dropped connection, but gives up for good after an
      // HTTP error (e.g. the relay restarted with another token): then start over ourselves.
      if (source?.readyState === EventSource.CLOSED) {
        source.close();
        retryTimer = setTimeout(() => {
          if (!stale) open();
        }, 5_000);
      }
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retryTimer);
    source?.close();
  };
}

/** Listens to the relay's pushed changes (batched ~300 ms). Returns the unsubscribe function. */
/** Calls a desktop-only method (see bridge.ts); only inside Electron. */
export async function callDesktop<T>(method: DesktopMethodName, input: object = {}): Promise<T> {
  const relay = bridge();
  if (!relay) throw new RelayApiError('unavailable', 'only the desktop app can do this');
  const result = await relay.invoke(method, input);
  if (!result.ok) throw new RelayApiError(result.error.code, result.error.message);
  return result.value as T;
}

export type { StartupProblem };

export function subscribe(listener: ChangeListener): () => void {
  listeners.add(listener);
  if (listeners.size === 1 && !stopSource) {
    const relay = bridge();
    if (relay) {
      const off = relay.onChanges((changes) => emit(changes));
      setLive('live');
      stopSource = off;
    } else {
      stopSource = openEventStream();
    }
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && stopSource) {
      stopSource();
      stopSource = undefined;
      setLive('connecting');
    }
  };
}

/** Whether pushed changes are arriving: the UI says so when they are not, rather than go stale silently. */
export function onLiveState(listener: (state: LiveState) => void): () => void {
  liveListeners.add(listener);
  listener(liveState);
  return () => liveListeners.delete(listener);
}

/** Where the Electron main process asks the window to go (e.g. a clicked notification). No-op in a browser. */
export function onNavigate(listener: (target: NavigateTarget) => void): () => void {
  const relay = bridge();
  return relay ? relay.onNavigate(listener) : () => {};
}

export type { NavigateTarget };
