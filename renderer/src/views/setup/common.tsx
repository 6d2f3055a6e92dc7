import type { ReactNode } from 'react';
import type { SettingsView, SetupInfo } from '../../../../shared/contract.ts';
import { copyAndFlash } from '../../clipboard.ts';
import { Icon } from '../../components/Icon.tsx';
import { useFlash } from '../../hooks.ts';
import { useRelayQuery } from '../../api/queries.ts';
import { Flash } from '../../components/controls.tsx';

/** 32 bytes from the browser's secure random generator, as 64 hex characters (like `openssl rand -hex 32`). */
export function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The message of anything thrown, for a person. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A value to paste elsewhere (a URL, a secret, a template), with a Copy button. */
export function CopyValue({ value, testId, label, multiline = false }: { value: string; testId: string; label: string; multiline?: boolean }) {
  const [copied, flash] = useFlash(3_000);
  return (
    <div className={multiline ? 'copy-value copy-value-block' : 'copy-value'}>
      {multiline ? (
        <pre className="copy-text" data-testid={testId}>
          {value}
        </pre>
      ) : (
        <code className="copy-text" data-testid={testId}>
          {value}
        </code>
      )}
      <button type="button" aria-label={`Copy ${label}`} title={`Copy ${label}`} data-testid={`copy-${testId}`} onClick={() => copyAndFlash(value, flash)}>
        <Icon name="copy" /> Copy
      </button>
      <Flash message={copied} />
    </div>
  );
}

/** A small spinning ring next to "Checking…" so a running check is visibly running. */
export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

/** A button that says why it is disabled, right next to it, not only in a tooltip. */
export function ActionButton({
  onClick,
  busy,
  busyLabel,
  disabledReason,
  primary = false,
  testId,
  children,
}: {
  onClick: () => void;
  busy?: boolean;
  busyLabel?: string;
  disabledReason?: string | undefined;
  primary?: boolean;
  testId: string;
  children: ReactNode;
}) {
  const disabled = busy === true || disabledReason !== undefined;
  return (
    <span className="action">
      <button
        type="button"
        className={primary ? 'primary' : undefined}
        disabled={disabled}
        aria-busy={busy || undefined}
        title={disabledReason ?? undefined}
        data-testid={testId}
        onClick={onClick}
      >
        {busy && <Spinner />}
        {busy ? (busyLabel ?? 'Working…') : children}
      </button>
      {!busy && disabledReason && (
        <span className="action-reason" data-testid={`${testId}-reason`}>
          {disabledReason}
        </span>
      )}
    </span>
  );
}

/** A problem a step found: what went wrong, in the relay's (or ilert's) own words. */
export function Problem({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <div className="banner banner-bad setup-result" role="alert" data-testid={testId}>
      {children}
    </div>
  );
}

export function Success({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <div className="banner banner-ok setup-result" role="status" data-testid={testId}>
      {children}
    </div>
  );
}

/** A numbered instruction block inside a step. */
export function Section({ title, children, testId }: { title: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <section className="setup-section" data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** What every wizard step gets from the wizard. */
export interface StepProps {
  setup: SetupInfo;
  settings: SettingsView;
  /** Whether the Setup tab is on screen (a generated secret is forgotten when it is not). */
  active: boolean;
  /** Re-reads getSetup and getSettings. */
  reload: () => void;
  /** Saved settings, straight from updateSettings' answer. */
  onSettings: (settings: SettingsView) => void;
  onNext: () => void;
}

/**
 * The environment variable that fixes a setting, as the relay names it (getSettingsMetadata): the
 * names are written once, in the relay's settings table.
 */
export function useEnvName(): (key: string) => string {
  const metadata = useRelayQuery('getSettingsMetadata', {}).data;
  return (key) => metadata?.find((entry) => entry.key === key)?.env ?? key;
}

/** Why a control for a setting is disabled, when an environment variable fixes it. */
export const setByEnvironment = (variable: string) => `Set by ${variable} in the environment`;

/** Settings an environment variable fixes: the wizard and Settings cannot change them, and say so. */
export function LockedNote({ settings, name }: { settings: SettingsView; name: string }) {
  const envName = useEnvName();
  if (!settings.lockedByEnvironment.includes(name)) return null;
  return (
    <p className="lock-note" data-testid={`locked-${name}`}>
      <Icon name="lock" /> Set by the environment variable <code>{envName(name)}</code>: change it there and restart the relay.
    </p>
  );
}

/** updateSettings' field errors as one line each. */
export function fieldErrors(errors: Record<string, string>): string {
  return Object.entries(errors)
    .map(([key, message]) => `${key}: ${message}`)
    .join('; ');
}
