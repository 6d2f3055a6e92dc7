import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { resolveDataDir } from '../../electron/core/data-dir.ts';
import { trayState, type TrayInput } from '../../electron/core/desktop/tray-state.ts';
import { planNotifications, type DesktopEvent } from '../../electron/core/desktop/notifications.ts';
import { resolveAppFile, isTrustedSenderUrl, isAllowedExternalUrl } from '../../electron/core/desktop/app-protocol.ts';
import type { AlertRow } from '../../shared/contract.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

const now = Date.parse('2026-11-22T12:00:00Z');
const healthy: TrayInput = {
  status: { receiverListening: true, queueDepth: 0, failedJobs: 0, ilert: { tone: 'ok', text: 'reachable' }, diagnoses: [], ilertReachable: true },
  alerts: { counts: { emergency: 0, critical: 0, warning: 0, information: 0 } },
  notificationsPausedUntil: undefined,
  now,
};
const withCounts = (counts: Record<string, number>): TrayInput => ({ ...healthy, alerts: { counts: { ...healthy.alerts.counts, ...counts } } });

test('tray: all clear, warning, critical, in that order of weight', () => {
  assert.deepEqual(trayState(healthy), { icon: 'clear', tooltip: 'Level → ilert Relay: no active alerts' });
  assert.equal(trayState(withCounts({ information: 2 })).icon, 'clear');
  assert.equal(trayState(withCounts({ warning: 1 })).icon, 'warning');
  assert.equal(trayState(withCounts({ warning: 1, emergency: 1 })).icon, 'critical');
  assert.equal(trayState(withCounts({ critical: 2, warning: 1 })).tooltip, 'Level → ilert Relay: 2 critical, 1 warning');
});

const finding = (id: string, level: 'error' | 'warning', title: string) => ({ id, level, title, detail: '' });

test('tray: a relay problem outranks every alert, and it counts the Health list', () => {
  const down = trayState({ ...withCounts({ critical: 3 }), status: { ...healthy.status, diagnoses: [finding('receiver-down', 'error', 'The receiver is not listening')] } });
  assert.equal(down.icon, 'problem');
  assert.match(down.tooltip, /1 problem: The receiver is not listening/);
  const two = trayState({
    ...healthy,
    status: { ...healthy.status, queueDepth: 4, diagnoses: [finding('a', 'error', 'Key refused'), finding('b', 'warning', 'ilert answers 503')] },
  });
  assert.match(two.tooltip, /4 queued for ilert · 2 problems: Key refused, ilert answers 503/);
  const warningOnly = trayState({ ...healthy, status: { ...healthy.status, diagnoses: [finding('b', 'warning', 'ilert answers 503')] } });
  assert.equal(warningOnly.icon, 'clear', 'a warning is named, not an alarm');
  assert.match(warningOnly.tooltip, /1 problem/);
});

test('tray: paused shows when nothing needs attention, and is always in the tooltip', () => {
  const pausedUntil = now + 3_600_000;
  const paused = trayState({ ...healthy, notificationsPausedUntil: pausedUntil });
  assert.equal(paused.icon, 'paused');
  assert.match(paused.tooltip, /notifications paused until \d\d:\d\d/);
  const pausedCritical = trayState({ ...withCounts({ critical: 1 }), notificationsPausedUntil: pausedUntil });
  assert.equal(pausedCritical.icon, 'critical');
  assert.match(pausedCritical.tooltip, /paused/);
  assert.equal(trayState({ ...healthy, notificationsPausedUntil: now - 1 }).icon, 'clear', 'an expired pause is over');
});

const alert = (id: string, severity: string, name = `Alert ${id}`): AlertRow => ({
  levelAlertId: id,
  alertKey: `level-alert-${id}`,
  state: 'active',
  severity,
  name,
  deviceHostname: 'HOST-1',
  firstSeenAt: now,
  updatedAt: now,
});
const prefs = { minSeverity: 'warning' as const, notifyResolves: false, pausedUntil: undefined };

test('notifications: one alert is one toast that opens that alert', () => {
  const [plan, ...rest] = planNotifications([{ kind: 'alert', alert: alert('a1', 'critical', 'Low disk space') }], prefs, now);
  assert.deepEqual(rest, []);
  assert.deepEqual(plan, {
    title: 'CRITICAL: Low disk space',
    body: 'Low disk space on HOST-1',
    urgent: true,
    target: { view: 'alerts', levelAlertId: 'a1' },
    acceptAlertId: 'a1',
  });
});

test('notifications: a burst becomes one summary, not twelve toasts', () => {
  const events: DesktopEvent[] = Array.from({ length: 12 }, (_, index) => ({ kind: 'alert', alert: alert(`a${index}`, index < 3 ? 'critical' : 'warning') }));
  const plans = planNotifications(events, prefs, now);
  assert.equal(plans.length, 1);
  assert.equal(plans[0]!.title, '12 new alerts, 3 critical');
  assert.match(plans[0]!.body, /…and 9 more/);
  assert.deepEqual(plans[0]!.target, { view: 'alerts' });
});

test('notifications: below the chosen severity, resolves when off, and while paused: silent', () => {
  assert.deepEqual(planNotifications([{ kind: 'alert', alert: alert('a', 'information') }], prefs, now), []);
  assert.deepEqual(planNotifications([{ kind: 'resolved', alert: alert('a', 'critical') }], prefs, now), []);
  assert.equal(planNotifications([{ kind: 'resolved', alert: alert('a', 'critical') }], { ...prefs, notifyResolves: true }, now)[0]!.title, 'Resolved: Alert a');
  assert.deepEqual(planNotifications([{ kind: 'alert', alert: alert('a', 'emergency') }], { ...prefs, pausedUntil: now + 1 }, now), []);
  assert.equal(planNotifications([{ kind: 'alert', alert: alert('a', 'information') }], { ...prefs, minSeverity: 'information' }, now).length, 1);
});

test('notifications: deliveries that gave up are announced and open the delivery log', () => {
  const [plan] = planNotifications([{ kind: 'gave-up', jobId: 4, deliveryId: 9, reason: 'ilert answered 404: unknown key' }], prefs, now);
  assert.equal(plan!.title, 'A delivery to ilert failed');
  assert.match(plan!.body, /ilert answered 404/);
  assert.deepEqual(plan!.target, { view: 'deliveries', deliveryId: 9 });
});

test('app protocol: files resolve inside the renderer directory only', () => {
  const root = path.resolve('/opt/app/renderer');
  assert.equal(resolveAppFile('app://relay/', root), path.join(root, 'index.html'));
  assert.equal(resolveAppFile('app://relay/assets/index-1.js?x=1', root), path.join(root, 'assets/index-1.js'));
  for (const escape of ['app://relay/../secret', 'app://relay/%2e%2e/secret', 'app://relay/..%2fsecret', 'app://relay/..%2f..%2fetc%2fpasswd', 'app://relay/assets/../../x']) {
    const file = resolveAppFile(escape, root);
    assert.ok(file === undefined || file.startsWith(root + path.sep), `${escape} stays inside: ${file}`);
  }
  for (const bad of [
    'app://relay/a%00b',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://relay/%E0%A4%A',
    'app://relay/..%5csecret',
    'app://relay/..%2f..%2fetc%2fpasswd',
  ]) {
    assert.equal(resolveAppFile(bad, root), undefined, bad);
  }
});

test('only the app’s own pages are trusted IPC senders; only https opens externally', () => {
  assert.equal(isTrustedSenderUrl('app://relay/index.html'), true);
  for (const url of ['https://evil.example/', 'file:///index.html', 'app://evil/index.html', undefined, 'not a url']) assert.equal(isTrustedSenderUrl(url), false, String(url));
  assert.equal(isAllowedExternalUrl('https://app.ilert.com/alerts'), true);
  for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share']) assert.equal(isAllowedExternalUrl(url), false, url);
});

test('the headless host uses the data directory the desktop app was told to use (its store), unless RELAY_DATA_DIR says otherwise', () => {
  const config = tempDataDir('xdg-config-');
  const env = { XDG_CONFIG_HOME: config };
  const appDir = path.join(config, 'Level ilert Relay');
  assert.equal(resolveDataDir(env), appDir, 'nothing chosen: the default');
  fs.mkdirSync(appDir, { recursive: true });
  fs.writeFileSync(path.join(appDir, 'desktop.json'), JSON.stringify({ dataDirectory: '/srv/relay-data', teamNotifications: {} }));
  assert.equal(resolveDataDir(env), '/srv/relay-data');
  assert.equal(resolveDataDir({ ...env, RELAY_DATA_DIR: '/tmp/x' }), '/tmp/x');
  fs.writeFileSync(path.join(appDir, 'desktop.json'), '{ not json');
  assert.equal(resolveDataDir(env), appDir, 'an unreadable store is no choice');
});
