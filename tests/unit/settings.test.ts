import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { resolveSettings, configurationProblems, SettingsError, ENVIRONMENT_OVERRIDES, settingsSchema } from '../../electron/core/settings.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { resolveDataDir, defaultDataDir } from '../../electron/core/data-dir.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

test('defaults match the documented ones', () => {
  const settings = resolveSettings({}, {});
  assert.equal(settings.host, '127.0.0.1');
  assert.equal(settings.port, 8787);
  assert.equal(settings.adminPort, 8788);
  assert.equal(settings.ilertApiUrl, 'https://api.ilert.com');
  assert.equal(settings.ilertEventsPerMinute, 50);
  assert.equal(settings.levelWebhookSecret, undefined);
});

test('every documented environment variable overrides the file', () => {
  const env = {
    RELAY_HOST: '0.0.0.0',
    RELAY_PORT: '9000',
    RELAY_ADMIN_PORT: '9001',
    RELAY_ADMIN_HOST: '0.0.0.0',
    RELAY_ADMIN_HOST_NAMES: 'relay.example.ts.net, relay.lan',
    LEVEL_WEBHOOK_SECRET: 'current-secret-1234567890',
    LEVEL_WEBHOOK_SECRET_PREVIOUS: 'previous-secret-1234567890',
    ILERT_INTEGRATION_KEY: 'il1api0123456789',
    ILERT_API_URL: 'http://127.0.0.1:1234/',
    ILERT_EVENTS_PER_MINUTE: '20',
    ILERT_HEARTBEAT_URL: 'https://beat.ilert.com/api/pings/il1hbt123',
    ILERT_API_KEY: 'user-api-key-123',
    ILERT_PASS_THROUGH_URL: 'https://api.ilert.com/api/v1/events/levelio/il1lvl123',
    LEVEL_AUTOMATION_SECRET: 'automation-secret-123',
    LEVEL_API_URL: 'http://127.0.0.1:4321/v2/',
    LEVEL_API_KEY: 'level-key-123',
    ILERT_ALERT_LINK: 'https://acme.ilert.com/alerts/{id}',
    LEVEL_DEVICE_LINK: 'https://app.level.io/devices/{id}',
    RELAY_PUBLIC_URL: 'https://relay.example.com/',
    RELAY_TUNNEL: 'quick',
    CLOUDFLARED_TOKEN: 'tunnel-token',
    CLOUDFLARED_PATH: '/opt/bin/cloudflared',
    RELAY_HOLD_DOWN_SECONDS: '600',
    RELAY_RESOLVE_GRACE_SECONDS: '300',
  };
  assert.deepEqual(Object.keys(env).sort(), Object.keys(ENVIRONMENT_OVERRIDES).sort());
  const settings = resolveSettings({ host: 'file-host', port: 1, ilertEventsPerMinute: 5 }, env);
  assert.equal(settings.host, '0.0.0.0');
  assert.equal(settings.port, 9000);
  assert.equal(settings.adminPort, 9001);
  assert.equal(settings.adminHost, '0.0.0.0');
  assert.deepEqual(settings.adminHostNames, ['relay.example.ts.net', 'relay.lan'], 'a comma-separated list');
  assert.equal(settings.levelWebhookSecret, 'current-secret-1234567890');
  assert.equal(settings.levelWebhookSecretPrevious, 'previous-secret-1234567890');
  assert.equal(settings.ilertIntegrationKey, 'il1api0123456789');
  assert.equal(settings.ilertApiUrl, 'http://127.0.0.1:1234', 'trailing slash dropped');
  assert.equal(settings.ilertEventsPerMinute, 20);
  assert.equal(settings.ilertHeartbeatUrl, 'https://beat.ilert.com/api/pings/il1hbt123');
  assert.equal(settings.ilertApiKey, 'user-api-key-123');
  assert.equal(settings.ilertPassThroughUrl, 'https://api.ilert.com/api/v1/events/levelio/il1lvl123');
  assert.equal(settings.levelAutomationSecret, 'automation-secret-123');
  assert.equal(settings.levelApiUrl, 'http://127.0.0.1:4321/v2', 'trailing slash dropped');
  assert.equal(settings.levelApiKey, 'level-key-123');
  assert.equal(settings.publicUrl, 'https://relay.example.com', 'trailing slash dropped');
  assert.equal(settings.tunnel, 'quick');
  assert.equal(settings.cloudflaredToken, 'tunnel-token');
  assert.equal(settings.cloudflaredPath, '/opt/bin/cloudflared');
  assert.equal(settings.levelDeviceLink, 'https://app.level.io/devices/{id}');
  assert.equal(settings.holdDownSeconds, 600);
  assert.equal(settings.resolveGraceSeconds, 300);
});

test('invalid values are all reported at once, naming the variable', () => {
  assert.throws(
    () => resolveSettings({}, { RELAY_PORT: 'eighty', ILERT_API_URL: 'ftp://x', ILERT_EVENTS_PER_MINUTE: '0', ILERT_INTEGRATION_KEY: 'has spaces!' }),
    (error: unknown) => {
      assert.ok(error instanceof SettingsError);
      const text = error.problems.join('\n');
      assert.match(text, /port \(RELAY_PORT\): must be a port number/);
      assert.match(text, /ilertApiUrl \(ILERT_API_URL\): must be an http\(s\) URL/);
      assert.match(text, /ilertEventsPerMinute \(ILERT_EVENTS_PER_MINUTE\): must be at least 1/);
      assert.match(text, /ilertIntegrationKey \(ILERT_INTEGRATION_KEY\): does not look like an ilert integration key/);
      return true;
    },
  );
  assert.throws(() => resolveSettings({}, { RELAY_PORT: '70000' }), /between 0 and 65535/);
});

test('a link setting is an https link with {id} where the id goes, or nothing', () => {
  assert.equal(resolveSettings({}, {}).ilertAlertLink, undefined, 'empty by default: no link is guessed');
  const set = resolveSettings({ ilertAlertLink: 'https://acme.ilert.com/alerts/{id}', levelDeviceLink: '' }, {});
  assert.equal(set.ilertAlertLink, 'https://acme.ilert.com/alerts/{id}');
  assert.equal(set.levelDeviceLink, undefined);
  for (const bad of ['http://acme.ilert.com/alerts/{id}', 'https://acme.ilert.com/alerts/', 'javascript:alert({id})', 'https://exa mple.com/{id}']) {
    assert.throws(() => resolveSettings({}, { LEVEL_DEVICE_LINK: bad }), /levelDeviceLink \(LEVEL_DEVICE_LINK\): must be an https link with \{id\}/, bad);
  }
});

test('the start-up warnings say what to set', () => {
  const problems = configurationProblems(resolveSettings({}, {}));
  assert.ok(problems.includes('no Level webhook secret: unsigned deliveries are accepted — set LEVEL_WEBHOOK_SECRET'));
  assert.ok(problems.some((problem) => problem.includes('ILERT_INTEGRATION_KEY')));
  const configured = resolveSettings({ levelWebhookSecret: 'a'.repeat(32), ilertIntegrationKey: 'il1api0123456789' }, {});
  assert.deepEqual(configurationProblems(configured), []);
});

test('the settings file round-trips and refuses invalid updates without writing', () => {
  const dir = tempDataDir();
  const file = new SettingsFile(dir);
  file.update({ port: 9100, ilertIntegrationKey: 'il1api0123456789' });
  assert.equal(new SettingsFile(dir).resolve({}).port, 9100);
  assert.throws(() => file.update({ port: -1 }), SettingsError);
  assert.equal(new SettingsFile(dir).resolve({}).port, 9100, 'nothing written');
  assert.equal(fs.statSync(file.path).mode & 0o777, 0o600, 'only the owner can read the secrets');
});

test('a corrupt settings file is a clear error, and is left in place', () => {
  const dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'settings.json'), '{"port": 80');
  assert.throws(() => new SettingsFile(dir), /settings file .* cannot be read: .*not valid JSON/);
  assert.equal(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'), '{"port": 80');
});

test('the data directory comes from RELAY_DATA_DIR, else the app-data directory', () => {
  assert.equal(resolveDataDir({ RELAY_DATA_DIR: '/tmp/x' }), '/tmp/x');
  assert.equal(defaultDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, 'linux'), '/home/u/.config/Level ilert Relay');
  assert.equal(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32'), path.join('C:\\Users\\u\\AppData\\Roaming', 'Level ilert Relay'));
});

test('the README documents every setting and every environment variable', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const key of Object.keys(settingsSchema.shape)) assert.match(readme, new RegExp(`\\| \`${key}\` \\|`), `setting ${key}`);
  for (const name of [...Object.keys(ENVIRONMENT_OVERRIDES), 'RELAY_DATA_DIR']) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), `variable ${name}`);
});

test('with a codec (safeStorage in the desktop app) secrets are encrypted at rest and read back', () => {
  const dir = tempDataDir();
  const codec = {
    encrypt: (plain: string) => Buffer.from([...plain].reverse().join('')).toString('base64'),
    decrypt: (stored: string) => [...Buffer.from(stored, 'base64').toString()].reverse().join(''),
  };
  new SettingsFile(dir, codec).update({ levelWebhookSecret: 'very-secret-value-123', port: 9000 });
  const onDisk = fs.readFileSync(path.join(dir, 'settings.json'), 'utf8');
  assert.doesNotMatch(onDisk, /very-secret-value-123/);
  assert.match(onDisk, /"levelWebhookSecret": "enc:v1:/);
  assert.equal(new SettingsFile(dir, codec).resolve({}).levelWebhookSecret, 'very-secret-value-123');
  assert.throws(() => new SettingsFile(dir).resolve({}), /levelWebhookSecret.*encrypted by the desktop app/);
});
