import type { ReactNode } from 'react';
import { roleAllows, type Role } from '../../../shared/contract.ts';

/** A failure in a red banner that screen readers announce; nothing while there is none. */
export function ErrorBanner({ error, prefix, testId }: { error: ReactNode; prefix?: string; testId?: string }) {
  if (!error) return null;
  return (
    <p className="banner banner-bad" role="alert" data-testid={testId}>
      {prefix}
      {error}
    </p>
  );
}

/** One option per value of a select, shown as `label` says. */
export function options<T extends string>(values: readonly T[], label: (value: T) => ReactNode = (value) => value): ReactNode {
  return values.map((value) => (
    <option key={value} value={value}>
      {label(value)}
    </option>
  ));
}

/** A table's column headings. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th scope="col" key={column}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A short confirmation ("Copied", "Saved …") that screen readers announce; `block` makes it a paragraph. */
export function Flash({ message, testId, block = false }: { message: string | undefined; testId?: string; block?: boolean }) {
  if (!message) return null;
  const Tag = block ? 'p' : 'span';
  return (
    <Tag className="flash" role="status" data-testid={testId}>
      {message}
    </Tag>
  );
}

/** Says in words why a view's controls are disabled for this role (RoleFieldset); nothing when they are not. */
export function ReadOnlyNotice({ role, needs, what }: { role: Role | undefined; needs: Role; what: string }) {
  if (role === undefined || roleAllows(role, needs)) return null;
  return (
    <p className="banner banner-info" role="note" data-testid="read-only-notice">
      You are signed in as {role === 'operator' ? 'an operator' : 'a viewer'}: you can look at {what}, but changing it needs an admin of this relay. Ask one if something here
      should change.
    </p>
  );
}

/** Controls a role may not use, disabled together (a fieldset disables every control in it); the server refuses the change anyway. */
export function RoleFieldset({ role, needs, children }: { role: Role | undefined; needs: Role; children: ReactNode }) {
  return (
    <fieldset className="bare-fieldset" disabled={role === undefined || !roleAllows(role, needs)}>
      {children}
    </fieldset>
  );
}
