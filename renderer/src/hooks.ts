import { useCallback, useEffect, useRef, useState } from 'react';
import { subscribe, type Changes } from './api/client.ts';

/** Calls the latest `listener` for every batch of pushed changes while mounted. */
export function useChanges(listener: (changes: Changes) => void): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => subscribe((changes) => latest.current(changes)), []);
}

/** The current time, re-rendering every `intervalMs` (for "12 min" ages). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

/** One action at a time: `busy` while it runs, its failure (after `prefix`) as `error`, and `after` once it settles either way. */
export function useAction(defaultPrefix = '') {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (work: () => Promise<unknown>, after?: () => void, prefix = defaultPrefix) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(prefix + (failure instanceof Error ? failure.message : String(failure)));
    } finally {
      setBusy(false);
      after?.();
    }
  };
  return { busy, error, setError, run };
}

/** A short-lived message ("Copied", "Saved") that clears itself. */
export function useFlash(timeoutMs = 4_000): [string | undefined, (message: string | undefined) => void] {
  const [message, setMessage] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const flash = useCallback(
    (next: string | undefined) => {
      clearTimeout(timer.current);
      setMessage(next);
      if (next !== undefined) timer.current = setTimeout(() => setMessage(undefined), timeoutMs);
    },
    [timeoutMs],
  );
  return [message, flash];
}
