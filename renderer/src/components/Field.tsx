import { useId, type ReactNode } from 'react';

/** What the control inside a Field spreads onto itself, so its label, hint and error are read with it. */
export interface ControlProps {
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
}

/**
 * One labelled form field: the label, the control, its error (announced when it appears) and a
 * hint. A `group` (checkboxes, a list) is labelled as a whole instead of through one control.
 * `layout` picks the look: the Settings grid or the wizard's column.
 */
export function Field({
  label,
  hint,
  error,
  errorTestId,
  group = false,
  layout = 'grid',
  testId,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  errorTestId?: string;
  group?: boolean;
  layout?: 'grid' | 'column';
  testId?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const control: ControlProps = { id: `${id}-control`, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined };
  const className = `${layout === 'grid' ? 'field' : 'setup-field'}${error ? ' field-invalid' : ''}`;
  const groupProps = group ? { role: 'group', 'aria-labelledby': `${id}-label`, 'aria-describedby': describedBy } : {};
  return (
    <div className={className} data-testid={testId} {...groupProps}>
      {group ? (
        <span className="label" id={`${id}-label`}>
          {label}
        </span>
      ) : (
        <label className="label" htmlFor={control.id} id={`${id}-label`}>
          {label}
        </label>
      )}
      <div className="field-control">
        {children(control)}
        {error && (
          <p className="field-error" id={errorId} data-testid={errorTestId} role="alert">
            {error}
          </p>
        )}
      </div>
      {hint && (
        <p className="help" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
