import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { consoleLogger } from '../../electron/core/logger.ts';
import { compileNamePattern, hostnamePattern, InvalidRuleError, nestedRepeatAt } from '../../electron/core/rules/compile.ts';
import { RuleBook } from '../../electron/core/rules/rule-book.ts';
import { LevelDirectory } from '../../electron/core/routing/directory.ts';
import type { RouteChoice } from '../../electron/core/routing/router.ts';
import type { LevelAlert } from '../../electron/core/level/envelope.ts';
import { RuleRows } from '../../electron/core/store/rules.ts';
import { Store } from '../../electron/core/store/store.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

const stores: Store[] = [];
after(() => Promise.all(stores.map((store) => store.close())));

function refusal(pattern: string): string {
  try {
    compileNamePattern(pattern);
  } catch (error) {
    assert.ok(error instanceof InvalidRuleError);
    return error.message;
  }
  assert.fail(`“${pattern}” was accepted`);
}

test('a bad name pattern is refused with the position where it goes wrong and the engine’s reason', () => {
  assert.equal(refusal('disk (C|D'), 'the name pattern is not a valid regular expression at position 6 (“(”): Unterminated group');
  assert.equal(refusal('[a-z'), 'the name pattern is not a valid regular expression at position 1 (“[”): Unterminated character class');
  assert.equal(refusal('ab**'), 'the name pattern is not a valid regular expression at position 4 (“*”): Nothing to repeat');
  assert.equal(refusal('x{3,1}'), 'the name pattern is not a valid regular expression at position 6 (“}”): numbers out of order in {} quantifier');
  assert.equal(refusal('end\\'), 'the name pattern is not a valid regular expression at position 4 (“\\”): \\ at end of pattern');
  assert.match(refusal('x'.repeat(201)), /longer than 200 characters/);
});

test('a group that repeats something that repeats is refused (exponential backtracking); ordinary patterns pass', () => {
  for (const [pattern, at] of [
    ['(a+)+', 0],
    ['^(\\w+\\s?)+$', 1],
    ['(x*y){2,}', 0],
    ['foo ((ab)+c)*', 4],
    ['([a-z]+)*', 0],
    ['(a{1,3})+', 0],
  ] as const) {
    assert.equal(nestedRepeatAt(pattern), at, pattern);
    assert.match(refusal(pattern), new RegExp(`repeats a group that itself repeats, at position ${at + 1}`), pattern);
  }
  for (const pattern of ['^(disk|volume) .* low$', '(ab)+', '(a+){1}', '(a?b)+', '\\(a+\\)+', '[(]a+[)]+', 'backup (failed|late) on \\w+$', 'x{2}(y{3})*']) {
    assert.equal(nestedRepeatAt(pattern), undefined, pattern);
    assert.ok(compileNamePattern(pattern).test !== undefined);
  }
  // Case-insensitive, as the dashboard says.
  assert.ok(compileNamePattern('^low DISK').test('Low disk space'));
});

test('a hostname pattern is a whole-name glob in any case: * any run, ? one character, the rest literal', () => {
  const servers = hostnamePattern('SRV-??.*');
  assert.ok(servers.test('srv-01.acme.local'));
  assert.ok(!servers.test('srv-1.acme.local'));
  assert.ok(!servers.test('xsrv-01.acme'));
  assert.ok(!hostnamePattern('a.b').test('aXb'), 'a dot is a dot');
  assert.ok(hostnamePattern('(web)[1]+').test('(WEB)[1]+'), 'regex characters are literal');
});

function book(devices: Record<string, Record<string, unknown>> = {}) {
  const store = new Store(tempDataDir('relay-rules-unit-'));
  stores.push(store);
  const rules = new RuleBook(new RuleRows(store), {
    targets: () => ['default', 'Night'],
    device: (id) => (devices[id] ? { id, ...devices[id] } : undefined),
    groupsOf: (groupId) => (groupId === 'hq' ? ['hq', 'acme'] : [groupId]),
    log: consoleLogger(),
  });
  return rules;
}

const alert = (overrides: Partial<LevelAlert> = {}): LevelAlert => ({
  id: 'a1',
  description: undefined,
  started_at: undefined,
  resolved_at: undefined,
  name: 'Low disk space',
  severity: 'warning',
  device_id: 'd1',
  device_hostname: 'WS-1',
  ...overrides,
});
const route: RouteChoice = { target: 'default', reason: 'group Acme → default', routingKey: 'acme' };

test('the first matching rule changes the route: target, routing key, priority and hold-down, and names itself in the reason', () => {
  const rules = book({ d1: { group_id: 'hq', tags: ['VIP', { name: 'finance' }], role: 'Server', platform: 'Linux' } });
  rules.save(
    [
      { name: 'Finance night', conditions: { group: 'acme', tags: ['finance'] }, actions: { target: 'Night', priority: 'HIGH', holdDownSeconds: 600 } },
      { name: 'Everything', conditions: {}, actions: { priority: 'LOW' } },
    ],
    'Ada',
    Date.now(),
  );
  const applied = rules.apply(alert(), route);
  assert.deepEqual(
    { ...applied, rule: { ...applied.rule, id: 0 } },
    {
      target: 'Night',
      routingKey: undefined,
      reason: 'rule “Finance night”: to Night, priority HIGH, hold-down 600 s; routing: group Acme → default',
      skip: undefined,
      priority: 'HIGH',
      holdDownSeconds: 600,
      rule: { id: 0, name: 'Finance night', drop: false },
    },
  );
  const other = rules.apply(alert({ device_id: 'unknown' }), route);
  assert.equal(other.rule?.name, 'Everything', 'a rule without conditions catches the rest');
  assert.equal(other.routingKey, 'acme', 'a rule that does not route keeps the routing key');
  assert.equal(other.holdDownSeconds, undefined);
});

test('a rule that routes lifts a skip (an unmapped group, a minimum severity); other actions leave a skipped alert skipped', () => {
  const rules = book();
  const skipped: RouteChoice = { ...route, skip: 'warning is below the route’s minimum severity (critical)' };
  rules.save([{ name: 'Disks anyway', conditions: { nameContains: 'DISK' }, actions: { routingKey: 'disks' } }], 'Ada', Date.now());
  assert.equal(rules.apply(alert(), skipped).skip, undefined);
  rules.save([{ name: 'Disks low', conditions: { nameContains: 'disk' }, actions: { priority: 'LOW' } }], 'Ada', Date.now());
  assert.equal(rules.apply(alert(), skipped).skip, skipped.skip);
});

test('the device is looked up once per alert, and only when a rule reached asks about it', () => {
  let lookups = 0;
  const store = new Store(tempDataDir('relay-rules-unit-'));
  stores.push(store);
  const rules = new RuleBook(new RuleRows(store), {
    targets: () => ['default'],
    device: (id) => {
      lookups++;
      return { id, group_id: 'g', platform: 'Mac' };
    },
    groupsOf: (groupId) => [groupId],
    log: consoleLogger(),
  });
  rules.save(
    [
      { name: 'Critical only', conditions: { severities: ['critical'], platform: 'Mac' }, actions: { priority: 'HIGH' } },
      { name: 'Tags', conditions: { tags: ['x'] }, actions: { priority: 'HIGH' } },
      { name: 'Group', conditions: { group: 'other' }, actions: { priority: 'HIGH' } },
    ],
    'Ada',
    Date.now(),
  );
  assert.equal(rules.apply(alert({ severity: 'warning' }), route).rule, undefined);
  assert.equal(lookups, 1, 'the severity decided the first rule without a look-up; the other two shared one');
});

test('the directory reads a device once for everyone asking in turn, and again after any write to the mirror', () => {
  const store = new Store(tempDataDir('relay-rules-unit-'));
  stores.push(store);
  const directory = new LevelDirectory(
    store,
    () => undefined,
    () => undefined,
  );
  store.transaction(() => store.mirror.upsertDevice({ id: 'd1', hostname: 'WS-1', group_id: 'g1' }, Date.now()));
  const first = directory.device('d1');
  assert.equal(directory.device('d1'), first, 'the same copy, not a second read');
  store.transaction(() => store.mirror.upsertDevice({ id: 'd1', hostname: 'WS-1', group_id: 'g2' }, Date.now()));
  assert.equal(directory.device('d1')?.group_id, 'g2');
  store.transaction(() => store.mirror.markDeleted('devices', 'd1', Date.now()));
  assert.equal(directory.device('d1'), undefined);
});
