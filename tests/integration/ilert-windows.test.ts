import { test, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { WindowView } from '../../shared/contract.ts';
import { FakeIlert, maintenanceWindowSchemaErrors } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, tempDataDir, INTEGRATION_KEY, FAST_TUNING, type InProcessRelay } from '../helpers/relay-harness.ts';
import { jobsFor } from '../helpers/wait.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { call, must } = contractCalls('Tess', 'operator');

// Issue 22, item 7: "also in ilert" makes the matching ilert maintenance window for a relay window over
// a whole target, and deletes it when the relay window is ended early; every body the relay sends is
// checked by the fake ilert against the OpenAPI `MaintenanceWindow` schema.
const API_KEY = 'ilert-user-api-key-windows';
const NIGHT_KEY = 'il1api-night-shift-target-02';
const ilert = await new FakeIlert().start();
ilert.apiKeys.add(API_KEY);
const mainSource = ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level alerts', escalationPolicy: { id: 7, name: 'MSP on-call' } });
const nightSource = ilert.addAlertSource({ integrationKey: NIGHT_KEY, name: 'Night shift', escalationPolicy: { id: 8, name: 'Night' } });
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await ilert.stop();
});
beforeEach(() => {
  ilert.restMode = { kind: 'ok' };
  ilert.maintenanceWindows.splice(0);
  ilert.windowSchemaViolations.splice(0);
  ilert.restRequests.splice(0);
});

async function relay(settings: Record<string, unknown> = {}): Promise<InProcessRelay> {
  const harness = await startRelay(
    { ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertApiKey: API_KEY, ilertTargets: [{ name: 'Night', integrationKey: NIGHT_KEY }], ...settings },
    FAST_TUNING,
    tempDataDir('relay-ilert-windows-'),
  );
  running.push(harness);
  return harness;
}

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const oneOff = (scope: unknown, overrides: Record<string, unknown> = {}) => ({
  name: 'Patch night',
  reason: 'monthly patches',
  scope,
  start: iso(Date.now()),
  end: iso(Date.now() + 2 * HOUR),
  alsoInIlert: true,
  ...overrides,
});
const posts = () => ilert.restRequests.filter((request) => request.method === 'POST' && request.path === '/api/maintenance-windows');
const audit = async (harness: InProcessRelay) => (await must(harness, 'listAudit', {})).map((entry) => entry.detail);

test('a window over an ilert target is made in ilert too, with a body the OpenAPI schema accepts, and deleted when ended early', async () => {
  const harness = await relay();
  const end = Date.now() + 2 * HOUR;
  const window = await must(harness, 'createMaintenanceWindow', oneOff({ target: 'Night' }, { end: iso(end) }));
  const ilertId = window.ilert?.windowId;
  assert.ok(ilertId !== undefined, `the relay window names its ilert window: ${JSON.stringify(window.ilert)}`);
  assert.equal(window.ilert?.problem, undefined);
  assert.deepEqual(ilert.windowSchemaViolations, [], 'every body passed the schema');
  const [made, ...others] = ilert.maintenanceWindows;
  assert.equal(others.length, 0);
  assert.equal(made?.id, ilertId);
  assert.deepEqual(made?.alertSources, [{ id: nightSource.id }], 'only the target’s alert source, found by its integration key');
  assert.equal(made?.summary, 'Patch night');
  assert.match(made?.description ?? '', /monthly patches.*window \d+.*Tess/);
  assert.equal(made?.end, iso(end));
  assert.ok(Date.parse(made!.start) <= Date.now());
  assert.ok(
    ilert.restRequests.some((request) => request.method === 'GET' && request.path === `/api/alert-sources/${NIGHT_KEY}`),
    'the alert source is looked up by its integration key',
  );
  assert.equal((await must(harness, 'listMaintenanceWindows', {})).find((listed) => listed.id === window.id)?.ilert?.windowId, ilertId);

  const ended = await must(harness, 'endMaintenanceWindow', { id: window.id });
  assert.equal(ended.state, 'ended');
  assert.deepEqual(ilert.maintenanceWindows, [], 'ended early: deleted in ilert');
  assert.ok(ilert.restRequests.some((request) => request.method === 'DELETE' && request.path === `/api/maintenance-windows/${ilertId}` && request.status === 204));
  assert.equal(ended.ilert, undefined);
  const said = await audit(harness);
  assert.ok(said.some((line) => line === `created ilert maintenance window ${ilertId} for maintenance window ${window.id} (targets Night)`));
  assert.ok(said.some((line) => line === `deleted ilert maintenance window ${ilertId} with it`));
});

test('a window over everything covers every configured target’s alert source in one ilert window', async () => {
  const harness = await relay();
  const window = await must(harness, 'createMaintenanceWindow', oneOff({ all: true }));
  assert.ok(window.ilert?.windowId !== undefined);
  assert.deepEqual(ilert.windowSchemaViolations, []);
  assert.deepEqual(
    ilert.maintenanceWindows.map((made) => made.alertSources.map((source) => source.id).sort()),
    [[mainSource.id, nightSource.id].sort()],
  );
});

test('refused before anything is saved: weekly windows (ilert has no recurrence), groups and devices, no API key', async () => {
  const harness = await relay();
  const weekly = await call(harness, 'createMaintenanceWindow', { ...oneOff({ target: 'Night' }), days: ['sat'], start: '22:00', end: '04:00', timeZone: 'Europe/Berlin' });
  assert.equal(weekly.ok, false);
  assert.equal(!weekly.ok && weekly.status, 400);
  assert.match(!weekly.ok ? weekly.error.message : '', /one-off windows: ilert’s maintenance windows have no weekly recurrence/);

  const group = await call(harness, 'createMaintenanceWindow', oneOff({ group: 'grp-acme' }));
  assert.equal(!group.ok && group.status, 400);
  assert.match(!group.ok ? group.error.message : '', /whole ilert target or over everything/);

  const unknown = await call(harness, 'createMaintenanceWindow', oneOff({ target: 'Nope' }));
  assert.match(!unknown.ok ? unknown.error.message : '', /no ilert target named “Nope”/);

  assert.deepEqual(await must(harness, 'listMaintenanceWindows', {}), [], 'a refused request saves no relay window');
  assert.deepEqual(posts(), [], 'and asks ilert nothing');

  const withoutKey = await relay({ ilertApiKey: '' });
  const noKey = await call(withoutKey, 'createMaintenanceWindow', oneOff({ target: 'Night' }));
  assert.match(!noKey.ok ? noKey.error.message : '', /needs an ilert API key/);
  // Without the option, the same window is fine: the option is what needs the key.
  assert.equal((await call(withoutKey, 'createMaintenanceWindow', oneOff({ target: 'Night' }, { alsoInIlert: undefined }))).ok, true);
});

test('ilert failing keeps the relay window, which holds alerts, and says clearly what ilert lacks', async () => {
  const harness = await relay();
  ilert.restMode = { kind: 'status', status: 503 };
  const window = await must(harness, 'createMaintenanceWindow', oneOff({ all: true }));
  assert.equal(window.state, 'active');
  assert.equal(window.ilert?.windowId, undefined);
  assert.match(window.ilert?.problem ?? '', /^the relay window is saved and holds alerts, but ilert has no matching window: ilert could not answer for the alert source \(503\)/);
  assert.deepEqual(ilert.maintenanceWindows, []);
  ilert.restMode = { kind: 'ok' };
  const held = alertEvent({ name: 'During the patch night' });
  await harness.sender.deliver(held);
  assert.deepEqual(
    jobsFor(harness.relay, `level-alert-${held.data.id}`).map((job) => job.status),
    ['held'],
    'the relay window holds the alert although ilert has no window',
  );
  const listed = (await must(harness, 'listMaintenanceWindows', {})).find((entry: WindowView) => entry.id === window.id);
  assert.equal(listed?.ilert?.problem, window.ilert?.problem, 'the problem stays on the window for everyone to see');
  assert.ok((await audit(harness)).some((line) => line.startsWith(`could not create an ilert maintenance window for maintenance window ${window.id}`)));

  // An integration key ilert does not know: the problem names it (without the key).
  const stranger = await relay({ ilertTargets: [{ name: 'Night', integrationKey: 'il1api-unknown-to-ilert-000' }] });
  const orphan = await must(stranger, 'createMaintenanceWindow', oneOff({ target: 'Night' }));
  assert.match(orphan.ilert?.problem ?? '', /ilert knows no alert source with this integration key/);
  assert.doesNotMatch(orphan.ilert?.problem ?? '', /il1api-unknown-to-ilert-000/);
});

test('ending early when ilert cannot delete: the relay window ends anyway and says what to do in ilert', async () => {
  const harness = await relay();
  const window = await must(harness, 'createMaintenanceWindow', oneOff({ target: 'Night' }));
  const ilertId = window.ilert!.windowId!;
  ilert.restMode = { kind: 'status', status: 500 };
  const ended = await must(harness, 'endMaintenanceWindow', { id: window.id });
  assert.equal(ended.state, 'ended');
  assert.equal(ended.ilert?.windowId, ilertId);
  assert.match(ended.ilert?.problem ?? '', new RegExp(`the relay window is ended, but ilert’s maintenance window ${ilertId} could not be deleted.*delete it in ilert`));
  assert.equal(ilert.maintenanceWindows.length, 1, 'still in ilert, as the message says');
});

test('the fake ilert refuses what ilert’s schema refuses', () => {
  assert.deepEqual(maintenanceWindowSchemaErrors({ summary: 'ok', start: '2026-12-07T22:00:00Z', end: '2026-12-08T02:00:00Z', alertSources: [] }), []);
  const bare = maintenanceWindowSchemaErrors({ start: '2026-12-07T22:00:00Z', end: 'tomorrow', alertSources: [{ id: 1 }], createdBy: 'me', recurrence: 'weekly' });
  assert.ok(
    bare.some((error) => error.includes("must have required property 'name'")),
    bare.join('\n'),
  );
  assert.ok(
    bare.some((error) => error.startsWith('/end must match format "date-time"')),
    bare.join('\n'),
  );
  assert.ok(bare.includes('/createdBy is read-only'));
  assert.ok(bare.includes('/recurrence is not a property of MaintenanceWindow'));
  assert.ok(maintenanceWindowSchemaErrors({ timezone: 'Europe/Vienna' }).some((error) => error.startsWith('/timezone must be equal to one of the allowed values')));
});
