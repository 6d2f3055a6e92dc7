import type { ReactNode } from 'react';
import { severityTone, statusLabel, statusTone, type Tone } from '../format.ts';
import './Badge.css';

export function Badge({ tone, title, children, testId }: { tone: Tone; title?: string | undefined; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title} data-testid={testId}>
      {children}
    </span>
  );
}

/** A delivery's or job's state: "queued", "retrying at 14:05", "rejected" (the reason in the title: a pill never shows half a sentence). */
export function StatusBadge({
  status,
  nextAttemptAt,
  reason,
  testId = 'status-badge',
}: {
  status: string;
  nextAttemptAt?: number | undefined;
  reason?: string | undefined;
  testId?: string;
}) {
  const label = statusLabel(status, nextAttemptAt);
  return (
    <Badge tone={statusTone(status)} title={reason ? `${label}: ${reason}` : label} testId={testId}>
      {label}
    </Badge>
  );
}

export function SeverityBadge({ severity }: { severity: string | undefined }) {
  return (
    <span className={`sev sev-${severityTone(severity)}`} data-testid="severity">
      {severity ?? 'unknown'}
    </span>
  );
}
