import { useState, type FormEvent } from 'react';
import { ROLES, type AuditEntry, type CallerView, type Member, type Role } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { Badge } from '../../components/Badge.tsx';
import { copyAndFlash } from '../../clipboard.ts';
import { fullTime, shortTime, type Tone } from '../../format.ts';
import { useFlash } from '../../hooks.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import './TeamView.css';
import { ErrorBanner, options, TableHead } from '../../components/controls.tsx';

const ROLE_WORDS: Record<Role, string> = {
  viewer: 'sees everything and gets notifications',
  operator: 'can also re-run, retry and accept',
  admin: 'can also change settings, run setup and manage the team',
};

const STATE_TONES: Record<Member['state'], Tone> = { invited: 'info', expired: 'muted', active: 'ok', revoked: 'bad' };

/**
 * The admin door's certificate and the owner's link (in Settings): the fingerprint is what a
 * technician compares when their tray app attaches; rotating the link shuts out every tab and
 * bookmark opened with the old one.
 */
export function AdminDoorPanel() {
  const me = useRelayQuery('whoAmI', {}).data;
  const [copied, flash] = useFlash(2_500);
  const [error, setError] = useState<string>();
  if (!me) return null;
  const rotate = async () => {
    if (!window.confirm('Replace the admin link? Every tab and bookmark opened with the old one stops working.')) return;
    try {
      const { adminUrl } = await call('rotateAdminToken', {});
      // This tab's own cookie holds the old token: open the new link to keep working here.
      if (adminUrl) window.location.assign(adminUrl);
      else flash('rotated: print the new link on the relay’s machine with npm run serve -- --print-url');
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section className="team-door" aria-labelledby="door-heading" data-testid="admin-door">
      <h2 id="door-heading" className="section-title">
        Admin door
      </h2>
      {me.door.kind === 'remote' ? (
        <p>
          Served over HTTPS to your network. Certificate SHA-256 fingerprint (a tray app shows the same before it attaches):
          <br />
          <code className="fingerprint" data-testid="door-fingerprint">
            {me.door.fingerprint256}
          </code>
        </p>
      ) : (
        <p className="muted">
          {me.door.kind === 'ipc'
            ? 'This relay runs inside the desktop app: its dashboard is this window only.'
            : 'Open on this machine only (loopback). To share the relay with a team, set RELAY_ADMIN_HOST (see “For a team” in the README).'}
        </p>
      )}
      {me.door.kind !== 'ipc' && (
        <div className="team-row" data-needs="admin">
          {me.door.adminUrl && (
            <button type="button" onClick={() => copyAndFlash(me.door.adminUrl!, flash, 'copied')}>
              Copy admin link
            </button>
          )}
          <button type="button" onClick={() => void rotate()} data-testid="rotate-admin-link">
            Rotate admin link
          </button>
          {copied && <span className="sb-flash">{copied}</span>}
        </div>
      )}
      <ErrorBanner error={error} />
    </section>
  );
}

function InviteForm({ onInvited }: { onInvited: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [invitation, setInvitation] = useState<{ name: string; pairingCode: string; pairingUrl: string; warning?: string | undefined }>();
  const [error, setError] = useState<string>();
  const [copied, flash] = useFlash(2_500);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const created = await call('createMember', { name, role });
      setInvitation({ name: name.trim(), pairingCode: created.pairingCode, pairingUrl: created.pairingUrl, warning: created.warning });
      setName('');
      setError(undefined);
      onInvited();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <form className="team-invite" onSubmit={(event) => void submit(event)} data-testid="invite-form">
      <label>
        Name <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={80} data-testid="invite-name" />
      </label>
      <label>
        Role{' '}
        <select value={role} onChange={(event) => setRole(event.target.value as Role)} data-testid="invite-role">
          {options(ROLES, (entry) => `${entry}: ${ROLE_WORDS[entry]}`)}
        </select>
      </label>
      <button type="submit" className="primary" data-testid="invite-submit">
        Invite
      </button>
      <ErrorBanner error={error} />
      {invitation && (
        <div className="banner banner-ok" data-testid="invitation">
          Give {invitation.name} this pairing code for their tray app, or the link for a browser. It works once, for 24 hours.
          <br />
          <code data-testid="pairing-code">{invitation.pairingCode}</code> · <code data-testid="pairing-url">{invitation.pairingUrl}</code>{' '}
          <button type="button" onClick={() => copyAndFlash(invitation.pairingUrl, flash, 'copied')}>
            Copy link
          </button>
          {copied && <span className="sb-flash">{copied}</span>}
        </div>
      )}
      {invitation?.warning && (
        <div className="banner banner-warn" role="alert" data-testid="invitation-warning">
          {invitation.warning}
        </div>
      )}
    </form>
  );
}

function Members({ members, onRevoke, onChangeRole }: { members: Member[]; onRevoke: (member: Member) => void; onChangeRole: (member: Member, role: Role) => void }) {
  if (members.length === 0) return <p className="muted small">Nobody invited yet.</p>;
  return (
    <table className="table" data-testid="members">
      <TableHead columns={['Name', 'Role', 'State', 'Last used', '']} />
      <tbody>
        {members.map((member) => (
          <tr key={member.id} data-testid="member" data-member={member.name} data-state={member.state}>
            <td>{member.name}</td>
            <td>
              {member.state === 'revoked' ? (
                member.role
              ) : (
                <select
                  value={member.role}
                  aria-label={`Role of ${member.name}`}
                  onChange={(event) => onChangeRole(member, event.target.value as Role)}
                  data-testid={`role-${member.id}`}
                >
                  {options(ROLES)}
                </select>
              )}
            </td>
            <td>
              <Badge tone={STATE_TONES[member.state]} title={member.pairingExpiresAt ? `Pairing code valid until ${fullTime(member.pairingExpiresAt)}` : undefined}>
                {member.state}
              </Badge>
            </td>
            <td className="nowrap" title={member.lastUsedAt ? fullTime(member.lastUsedAt) : undefined}>
              {member.lastUsedAt ? `${shortTime(member.lastUsedAt)}${member.lastUsedFrom ? ` from ${member.lastUsedFrom}` : ''}` : '—'}
            </td>
            <td>
              {member.state !== 'revoked' && (
                <button type="button" onClick={() => onRevoke(member)} data-testid={`revoke-${member.id}`}>
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Audit({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p className="muted small">Nothing recorded yet.</p>;
  return (
    <table className="table" data-testid="audit">
      <TableHead columns={['When', 'Who', 'What']} />
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} data-testid="audit-entry" data-action={entry.action}>
            <td className="nowrap" title={fullTime(entry.at)}>
              {shortTime(entry.at)}
            </td>
            <td>
              {entry.actor} <span className="muted small">({entry.role})</span>
            </td>
            <td>{entry.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The team: invitations and members (admins), and the audit of who did what (everyone). */
export function TeamView({ me, active }: { me: CallerView | undefined; active: boolean }) {
  const isAdmin = me?.role === 'admin';
  const audit = useRelayQuery('listAudit', { limit: 200 }, { active });
  const members = useRelayQuery('listMembers', {}, { active, enabled: isAdmin });
  const [actionError, setActionError] = useState<string>();
  const error = actionError ?? audit.error?.message ?? members.error?.message;
  const load = () => reload('listAudit', 'listMembers');

  const revoke = async (member: Member) => {
    if (!window.confirm(`Revoke ${member.name}? Their tray app and browser lose access at once.`)) return;
    try {
      await call('revokeMember', { id: member.id });
      setActionError(undefined);
      load();
    } catch (failure) {
      setActionError((failure as Error).message);
    }
  };

  const changeRole = async (member: Member, role: Role) => {
    try {
      await call('changeMemberRole', { id: member.id, role });
      setActionError(undefined);
      load();
    } catch (failure) {
      setActionError((failure as Error).message);
    }
  };

  return (
    <div className="team-view scroll" data-testid="team-view">
      {me && me.door.kind !== 'ipc' && (
        <p className="help" data-testid="signed-in-as">
          Signed in as <strong>{me.name}</strong> ({me.role}: {ROLE_WORDS[me.role]}).
        </p>
      )}
      <ErrorBanner error={error} />
      {isAdmin && me.door.kind !== 'ipc' && (
        <section aria-labelledby="members-heading">
          <h2 id="members-heading" className="section-title">
            People
          </h2>
          <InviteForm onInvited={load} />
          <Members members={members.data ?? []} onRevoke={(member) => void revoke(member)} onChangeRole={(member, role) => void changeRole(member, role)} />
        </section>
      )}
      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading" className="section-title">
          Audit
        </h2>
        <p className="help">
          Who re-ran, retried, accepted, changed settings (which ones, never their values), ran setup, invited, changed roles and revoked, and failed sign-ins — kept for the
          retention period.
        </p>
        <Audit entries={audit.data ?? []} />
      </section>
    </div>
  );
}
