import { roleAllows } from '../../../../shared/contract.ts';
import { inElectron } from '../../api/client.ts';
import { useRelayQuery } from '../../api/queries.ts';
import { ErrorBanner, Flash, ReadOnlyNotice } from '../../components/controls.tsx';
import { ConnectionPanel } from '../desktop/ConnectionPanel.tsx';
import { AdminDoorPanel } from '../team/TeamView.tsx';
import { DesktopFields, ReplayPermissionField, SecretField, SeveritiesField, UnmappedGroupsField, ValueField } from './fields.tsx';
import { SECRET_GROUPS, type SecretGroup, type SecretKey } from './settings-form.ts';
import { TargetsField } from './TargetsField.tsx';
import { SourcesSection } from '../sources/SourcesSection.tsx';
import { GeneratedSecretField, LevelConnectionField } from './tools.tsx';
import { useSettingsForm, type SettingsForm } from './use-settings-form.ts';
import './SettingsView.css';

function Secrets({ form, group }: { form: SettingsForm; group: SecretGroup }) {
  return (Object.keys(SECRET_GROUPS) as SecretKey[]).filter((key) => SECRET_GROUPS[key] === group).map((key) => <SecretField key={key} form={form} name={key} />);
}

/** What the saved settings say about themselves: problems, pending restarts, how secrets are kept. */
function Notices({ form, label }: { form: SettingsForm; label: (key: string) => string }) {
  const { view, errors } = form;
  return (
    <>
      {view.problems.length > 0 && (
        <div className="banner banner-warn" data-testid="settings-problems">
          <b>{view.problems.length === 1 ? '1 problem' : `${view.problems.length} problems`} with this configuration</b>
          <ul>
            {view.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
      {view.restartRequired.length > 0 && (
        <p className="banner banner-info" data-testid="restart-required">
          Restart the relay to apply: {view.restartRequired.map(label).join(', ')}.
        </p>
      )}
      <ErrorBanner error={errors.settings} testId="error-settings" />
      {view.secretsNotice && (
        <p className="banner banner-info" data-testid="secrets-notice">
          {view.secretsNotice}
        </p>
      )}
    </>
  );
}

export function SettingsView({ active }: { active: boolean }) {
  const role = useRelayQuery('whoAmI', {}).data?.role;
  // Settings are changed by admins only: for anyone else every field is disabled (the notice says why).
  const disabled = !(role !== undefined && roleAllows(role, 'admin'));
  const state = useSettingsForm();
  if (!state.form) {
    const { loadError } = state;
    return <div className="view-message">{loadError ? <p className="error">Could not load settings: {loadError.message}</p> : <p className="muted">Loading settings…</p>}</div>;
  }
  const { form, pending, changed, label, saving, saved, save, revert } = state;
  const errorCount = Object.keys(form.errors).length;
  const levelUnsaved = 'levelApiUrl' in pending.patch || 'levelApiKey' in pending.patch || form.draft.secrets.levelApiKey.mode !== 'keep';

  return (
    <div className="settings-view scroll" data-testid="settings-view">
      <ConnectionPanel />
      <AdminDoorPanel />
      <form
        className="settings-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
        noValidate
      >
        <ReadOnlyNotice role={role} needs="admin" what="the settings" />
        <Notices form={form} label={label} />

        {/* The sections, in page order: a new one is one more fieldset here. */}
        <fieldset disabled={disabled}>
          <legend>Level webhooks</legend>
          <Secrets form={form} group="webhooks" />
          <GeneratedSecretField form={form} active={active} />
          <Secrets form={form} group="automation" />
        </fieldset>

        <fieldset disabled={disabled} data-testid="level-api-settings">
          <legend>Level API and routing</legend>
          <ValueField form={form} name="levelApiUrl" />
          <ValueField form={form} name="levelMaintenanceWarnHours" />
          <ValueField form={form} name="holdDownSeconds" />
          <ValueField form={form} name="resolveGraceSeconds" />
          <ValueField form={form} name="levelDeviceLink" />
          <Secrets form={form} group="levelApi" />
          <LevelConnectionField form={form} unsaved={levelUnsaved} />
          <UnmappedGroupsField form={form} />
        </fieldset>

        <fieldset disabled={disabled}>
          <legend>ilert</legend>
          <Secrets form={form} group="ilert" />
          <TargetsField form={form} disabled={disabled} />
          <ValueField form={form} name="ilertApiUrl" />
          <ValueField form={form} name="ilertEventsPerMinute" />
          <ValueField form={form} name="ilertAlertLink" />
          <SeveritiesField form={form} />
        </fieldset>

        <fieldset disabled={disabled}>
          <legend>Receiver</legend>
          <ValueField form={form} name="host" />
          <ValueField form={form} name="port" />
          <ValueField form={form} name="adminPort" />
          <ValueField form={form} name="cloudflaredPath" />
        </fieldset>

        <fieldset disabled={disabled}>
          <legend>History</legend>
          <ValueField form={form} name="retentionDays" />
          <ValueField form={form} name="auditRetentionDays" />
        </fieldset>

        <fieldset disabled={disabled}>
          <legend>Team</legend>
          <ReplayPermissionField form={form} />
        </fieldset>

        {inElectron() && (
          <fieldset disabled={disabled}>
            <legend>Desktop app</legend>
            <DesktopFields form={form} />
          </fieldset>
        )}

        <div className="form-actions">
          <button
            type="submit"
            className="primary"
            disabled={!changed || saving}
            title={changed ? 'Validate and save the changes' : 'Nothing changed'}
            data-testid="settings-save"
            data-needs="admin"
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!changed || saving} title={changed ? 'Forget the changes' : 'Nothing changed'} onClick={revert} data-testid="settings-revert">
            Revert
          </button>
          {errorCount > 0 && (
            <span className="text-bad" data-testid="settings-invalid">
              Nothing was saved: fix the {errorCount === 1 ? 'field' : 'fields'} marked in red.
            </span>
          )}
          <Flash message={saved} testId="settings-saved" />
          {form.view.restartRequired.length > 0 && errorCount === 0 && (
            <span className="restart-note" title="These settings are saved but take effect only after a restart">
              Restart the relay to apply: {form.view.restartRequired.map(label).join(', ')}
            </span>
          )}
        </div>
      </form>
      <SourcesSection />
    </div>
  );
}
