/** The Settings form's logic without a screen (renderer/src/views/settings/settings-form.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SettingsView } from '../../shared/contract.ts';
import { buildPatch, buildTargets, draftFrom, errorsAfterEdit, hasChanges, MESSAGES, withNewTarget, type Draft } from '../../renderer/src/views/settings/settings-form.ts';

const unset = { set: false };
const saved: SettingsView = {
  values: {
    host: '127.0.0.1',
    port: 8787,
    adminPort: 8788,
    adminHost: '127.0.0.1',
    adminHostNames: [],
    ilertApiUrl: 'https://api.ilert.com',
    ilertEventsPerMinute: 40,
    highPrioritySeverities: ['emergency', 'critical'],
    retentionDays: 30,
    auditRetentionDays: 365,
    operatorsMayReplayWithEdits: false,
    notifyMinSeverity: 'critical',
    notifyResolves: false,
    startAtLogin: false,
    checkForUpdates: true,
    levelApiUrl: 'https://api.level.io/v2',
    levelMaintenanceWarnHours: 24,
    holdDownSeconds: 0,
    resolveGraceSeconds: 0,
    ilertAlertLink: undefined,
    levelDeviceLink: undefined,
    unmappedGroups: 'default',
    publicUrl: undefined,
    tunnel: 'off',
    cloudflaredPath: 'cloudflared',
  },
  secrets: {
    levelWebhookSecret: { set: true, hint: 'ab…ef' },
    levelWebhookSecretPrevious: unset,
    ilertIntegrationKey: { set: true, hint: 'il1…99' },
    ilertHeartbeatUrl: unset,
    ilertPassThroughUrl: unset,
    ilertApiKey: unset,
    levelAutomationSecret: unset,
    levelApiKey: unset,
    cloudflaredToken: unset,
  },
  ilertTargets: [{ name: 'Acme', key: { set: true, hint: 'il1…01' } }],
  lockedByEnvironment: [],
  problems: [],
  restartRequired: [],
};

const edit = (change: (draft: Draft) => Draft, view: SettingsView = saved) => buildPatch(view, change(draftFrom(view)));

test('an untouched draft has nothing to save', () => {
  const built = buildPatch(saved, draftFrom(saved));
  assert.deepEqual(built, { patch: {}, errors: {} });
  assert.equal(hasChanges(built), false);
  assert.equal(draftFrom(saved).values.ilertAlertLink, '', 'an unset value is an empty box');
});

test('only what changed is sent, numbers as numbers and severities in their order', () => {
  const built = edit((draft) => ({
    ...draft,
    values: { ...draft.values, port: ' 9000 ', ilertAlertLink: 'https://acme.ilert.com/alert/{id}' },
    severities: ['warning', 'emergency', 'critical'],
    desktop: { ...draft.desktop, notifyResolves: true },
  }));
  assert.deepEqual(built, {
    patch: { port: 9000, ilertAlertLink: 'https://acme.ilert.com/alert/{id}', highPrioritySeverities: ['emergency', 'critical', 'warning'], notifyResolves: true },
    errors: {},
  });
});

test('a number that is not one is refused in the browser, with a message saying what to type', () => {
  const built = edit((draft) => ({ ...draft, values: { ...draft.values, retentionDays: '3.5', port: '' } }));
  assert.deepEqual(built.errors, { retentionDays: MESSAGES.wholeNumber, port: MESSAGES.wholeNumberRequired });
  assert.equal('retentionDays' in built.patch, false);
  assert.equal(hasChanges(built), true, 'a refused edit still counts as one, so Save says why');
});

test('a setting fixed by the environment is never sent, whatever the draft says', () => {
  const locked = { ...saved, lockedByEnvironment: ['port', 'levelWebhookSecret', 'unmappedGroups'] };
  const built = edit(
    (draft) => ({ ...draft, values: { ...draft.values, port: '1' }, unmappedGroups: 'skip', secrets: { ...draft.secrets, levelWebhookSecret: { mode: 'clear', value: '' } } }),
    locked,
  );
  assert.deepEqual(built, { patch: {}, errors: {} });
});

test('secrets: a replacement is sent trimmed, a clear as empty, and an empty replacement is refused', () => {
  const built = edit((draft) => ({
    ...draft,
    secrets: {
      ...draft.secrets,
      levelApiKey: { mode: 'replace', value: '  key-1 ' },
      levelWebhookSecret: { mode: 'clear', value: '' },
      ilertApiKey: { mode: 'replace', value: ' ' },
    },
  }));
  assert.deepEqual(built.patch, { levelApiKey: 'key-1', levelWebhookSecret: '' });
  assert.deepEqual(built.errors, { ilertApiKey: MESSAGES.replacedSecret });
});

test('targets: saved keys stay unsent, new ones need a name and a key, and names are unique whatever their case', () => {
  let draft = withNewTarget(withNewTarget(draftFrom(saved)));
  assert.deepEqual(
    draft.targets.map((target) => target.uid),
    ['saved:Acme', 'new:1', 'new:2'],
    'each target keeps its own React key without a module-level counter',
  );
  draft = { ...draft, targets: draft.targets.map((target, index) => (index === 1 ? { ...target, name: ' acme ' } : target)) };
  const built = buildTargets(draft.targets);
  assert.deepEqual(built.targets, [{ name: 'Acme' }, { name: 'acme', integrationKey: '' }, { name: '', integrationKey: '' }]);
  assert.deepEqual(built.errors, {
    'ilertTargets.1.name': MESSAGES.targetNameTaken,
    'ilertTargets.1.integrationKey': MESSAGES.newTargetKey,
    'ilertTargets.2.name': MESSAGES.targetName,
    'ilertTargets.2.integrationKey': MESSAGES.newTargetKey,
  });

  const replaced = buildTargets([{ ...draftFrom(saved).targets[0]!, key: { mode: 'replace', value: '' } }]);
  assert.deepEqual(replaced.errors, { 'ilertTargets.0.integrationKey': MESSAGES.replacedTargetKey }, 'a saved target asks for the new key or to keep the old');
});

test('targets are sent only when the list changed: a removal sends the rest', () => {
  assert.equal('ilertTargets' in edit((draft) => draft).patch, false);
  assert.deepEqual(edit((draft) => ({ ...draft, targets: [] })).patch, { ilertTargets: [] });
});

test('an edit clears its own error; any edit of the target list clears the list’s, whose positions may have shifted', () => {
  const errors = { port: 'x', retentionDays: 'y', 'ilertTargets.0.name': 'z', ilertTargets: 'w' };
  assert.deepEqual(errorsAfterEdit(errors, 'port'), { retentionDays: 'y', 'ilertTargets.0.name': 'z', ilertTargets: 'w' });
  assert.deepEqual(errorsAfterEdit(errors, 'ilertTargets'), { port: 'x', retentionDays: 'y' });
});
