import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGroupTree, resolveRoute, deviceCountsBySubtree, type GroupInput } from '../../electron/core/routing/group-tree.ts';

// Acme / HQ / Servers / Rack 1 / Hypervisors (5 levels), with siblings at several depths; listed out of order on purpose.
const groups: GroupInput[] = [
  { id: 'hyp', name: 'Hypervisors', parent_id: 'rack1' },
  { id: 'ws', name: 'Workstations', parent_id: 'hq' },
  { id: 'rack1', name: 'Rack 1', parent_id: 'servers' },
  { id: 'acme', name: 'Acme', parent_id: null },
  { id: 'servers', name: 'Servers', parent_id: 'hq' },
  { id: 'rack2', name: 'rack 2', parent_id: 'servers' },
  { id: 'hq', name: 'HQ', parent_id: 'acme' },
  { id: 'branch', name: 'Branch', parent_id: 'acme' },
  { id: 'beta', name: 'Beta', parent_id: null },
  { id: 'lab', name: 'Lab', parent_id: 'beta' },
];
const tree = buildGroupTree(groups);

test('paths and ancestors follow parent_id whatever the listing order', () => {
  assert.equal(tree.pathOf('hyp'), 'Acme / HQ / Servers / Rack 1 / Hypervisors');
  assert.equal(tree.pathOf('acme'), 'Acme');
  assert.equal(tree.pathOf('nope'), undefined);
  assert.deepEqual(tree.ancestorsOf('hyp'), ['rack1', 'servers', 'hq', 'acme']);
  assert.deepEqual(tree.ancestorsOf('acme'), []);
  assert.deepEqual(tree.ancestorsOf('nope'), []);
  assert.deepEqual(tree.roots, ['acme', 'beta']);
  assert.deepEqual(tree.flagged, []);
});

test('rows are depth-first with children sorted by name (case-insensitive, numbers in order)', () => {
  assert.deepEqual(
    tree.rows().map((row) => [row.depth, row.path]),
    [
      [0, 'Acme'],
      [1, 'Acme / Branch'],
      [1, 'Acme / HQ'],
      [2, 'Acme / HQ / Servers'],
      [3, 'Acme / HQ / Servers / Rack 1'],
      [4, 'Acme / HQ / Servers / Rack 1 / Hypervisors'],
      [3, 'Acme / HQ / Servers / rack 2'],
      [2, 'Acme / HQ / Workstations'],
      [0, 'Beta'],
      [1, 'Beta / Lab'],
    ],
  );
  const hq = tree.rows().find((row) => row.id === 'hq')!;
  assert.deepEqual([hq.parentId, hq.childIds, hq.name], ['acme', ['servers', 'ws'], 'HQ']);
});

test('the deepest mapping wins: a mapped subgroup overrides its mapped ancestor for its own subtree only', () => {
  const mappings = new Map([
    ['acme', 'acme-team'],
    ['servers', 'server-team'],
  ]);
  const route = (groupId: string) => resolveRoute(groupId, tree, mappings, 'default');

  const own = route('servers');
  assert.deepEqual([own.kind, own.route, own.mappedGroupId, own.inherited], ['mapped', 'server-team', 'servers', false]);
  assert.equal(own.reason, 'mapped on “Servers”');

  const deep = route('hyp');
  assert.deepEqual([deep.kind, deep.route, deep.mappedGroupId, deep.inherited], ['mapped', 'server-team', 'servers', true]);
  assert.equal(deep.reason, 'inherited from “Servers” (nearest mapped ancestor of “Acme / HQ / Servers / Rack 1 / Hypervisors”)');

  for (const sibling of ['ws', 'hq', 'branch']) {
    const decision = route(sibling);
    assert.deepEqual([decision.route, decision.mappedGroupId], ['acme-team', 'acme'], sibling);
  }
  assert.equal(route('ws').reason, 'inherited from “Acme” (nearest mapped ancestor of “Acme / HQ / Workstations”)');
  assert.equal(route('acme').reason, 'mapped on “Acme”');
});

test('an unmapped branch goes to the default route or is skipped, per the setting', () => {
  const mappings = new Map([['acme', 'acme-team']]);
  const asDefault = resolveRoute('lab', tree, mappings, 'default');
  assert.deepEqual(asDefault, { kind: 'default', reason: 'no mapping for “Beta / Lab” or its ancestors: default route' });
  const asSkip = resolveRoute('lab', tree, mappings, 'skip');
  assert.deepEqual(asSkip, { kind: 'skip', reason: 'no mapping for “Beta / Lab” or its ancestors: skipped' });
});

test('devices without a group or in an unknown group get the fallback, unless the unknown id itself is mapped', () => {
  const mappings = new Map([
    ['acme', 'acme-team'],
    ['g-new', 'new-team'],
  ]);
  assert.deepEqual(resolveRoute(null, tree, mappings, 'default'), { kind: 'default', reason: 'device has no group: default route' });
  assert.deepEqual(resolveRoute(undefined, tree, mappings, 'skip'), { kind: 'skip', reason: 'device has no group: skipped' });
  assert.deepEqual(resolveRoute('g-9', tree, mappings, 'default'), { kind: 'default', reason: 'group g-9 is unknown: default route' });
  const fresh = resolveRoute('g-new', tree, mappings, 'default');
  assert.deepEqual([fresh.kind, fresh.route, fresh.mappedGroupId], ['mapped', 'new-team', 'g-new']);
});

test('a mapping to a falsy route value still counts as a mapping', () => {
  const decision = resolveRoute('hyp', tree, new Map([['hq', 0]]), 'skip');
  assert.deepEqual([decision.kind, decision.route, decision.mappedGroupId], ['mapped', 0, 'hq']);
});

test('a parent cycle a→b→c→a is broken, flagged, and resolves to the fallback without hanging', () => {
  const cyclic = buildGroupTree([
    { id: 'a', name: 'A', parent_id: 'b' },
    { id: 'b', name: 'B', parent_id: 'c' },
    { id: 'c', name: 'C', parent_id: 'a' },
    { id: 'below', name: 'Below', parent_id: 'b' },
    { id: 'self', name: 'Self', parent_id: 'self' },
    { id: 'ok', name: 'OK', parent_id: null },
  ]);
  assert.deepEqual([...cyclic.flagged].sort(), ['a', 'b', 'c', 'self']);
  assert.deepEqual(cyclic.byId.get('a')!.cycleIds, ['a', 'b', 'c']);
  assert.deepEqual(cyclic.byId.get('c')!.cycleIds, ['c', 'a', 'b']);
  assert.equal(cyclic.byId.get('a')!.declaredParentId, 'b');
  assert.equal(cyclic.byId.get('below')!.issue, undefined);
  assert.deepEqual(cyclic.roots, ['a', 'b', 'c', 'ok', 'self']);
  assert.deepEqual(cyclic.ancestorsOf('below'), ['b']);
  assert.equal(cyclic.pathOf('below'), 'B / Below');
  assert.equal(cyclic.rows().length, 6);

  const none = resolveRoute('a', cyclic, new Map<string, string>(), 'default');
  assert.equal(none.kind, 'default');
  assert.equal(none.reason, 'no mapping for “A” or its ancestors (its parents in Level loop: “A” → “B” → “C” → …, so nothing is inherited): default route');
  // A loop member's own mapping still applies, but it is not inherited around the loop.
  const mappings = new Map([['c', 'c-team']]);
  assert.equal(resolveRoute('c', cyclic, mappings, 'default').route, 'c-team');
  assert.equal(resolveRoute('a', cyclic, mappings, 'default').kind, 'default');
  assert.equal(resolveRoute('below', cyclic, new Map([['b', 'b-team']]), 'default').route, 'b-team');
});

test('a group whose parent is not in the list becomes a flagged root', () => {
  const orphaned = buildGroupTree([
    { id: 'kid', name: 'Kid', parent_id: 'gone' },
    { id: 'grandkid', name: 'Grandkid', parent_id: 'kid' },
    { id: 'root', name: 'Root', parent_id: '' },
  ]);
  assert.deepEqual(orphaned.roots, ['kid', 'root']);
  assert.deepEqual(orphaned.flagged, ['kid']);
  assert.equal(orphaned.byId.get('kid')!.issue, 'missing-parent');
  assert.equal(orphaned.byId.get('kid')!.declaredParentId, 'gone');
  assert.equal(orphaned.pathOf('grandkid'), 'Kid / Grandkid');
  assert.deepEqual(
    orphaned.rows().map((row) => [row.depth, row.id, row.issue]),
    [
      [0, 'kid', 'missing-parent'],
      [1, 'grandkid', undefined],
      [0, 'root', undefined],
    ],
  );
  assert.equal(resolveRoute('grandkid', orphaned, new Map(), 'skip').reason, 'no mapping for “Kid / Grandkid” or its ancestors: skipped');
  assert.equal(resolveRoute('kid', orphaned, new Map(), 'skip').reason, 'no mapping for “Kid” or its ancestors (its parent gone is not in Level’s group list): skipped');
});

test('duplicate ids keep the first copy', () => {
  const duplicated = buildGroupTree([
    { id: 'x', name: 'First', parent_id: null },
    { id: 'x', name: 'Second', parent_id: 'x' },
  ]);
  assert.deepEqual([duplicated.byId.size, duplicated.pathOf('x'), duplicated.flagged.length], [1, 'First', 0]);
});

test('device counts per group: direct members and the whole subtree', () => {
  const counts = deviceCountsBySubtree(tree, [
    { group_id: 'hyp' },
    { group_id: 'hyp' },
    { group_id: 'rack2' },
    { group_id: 'servers' },
    { group_id: 'ws' },
    { group_id: 'lab' },
    { group_id: null },
    {},
    { group_id: 'unknown' },
  ]);
  assert.deepEqual(counts.get('hyp'), { direct: 2, subtree: 2 });
  assert.deepEqual(counts.get('rack1'), { direct: 0, subtree: 2 });
  assert.deepEqual(counts.get('servers'), { direct: 1, subtree: 4 });
  assert.deepEqual(counts.get('hq'), { direct: 0, subtree: 5 });
  assert.deepEqual(counts.get('acme'), { direct: 0, subtree: 5 });
  assert.deepEqual(counts.get('branch'), { direct: 0, subtree: 0 });
  assert.deepEqual(counts.get('beta'), { direct: 0, subtree: 1 });
  assert.equal(counts.size, groups.length);
});

test('a 2,000-level chain builds and walks without recursion', () => {
  const chain: GroupInput[] = Array.from({ length: 2_000 }, (_, index) => ({ id: `g${index}`, name: `G${index}`, parent_id: index === 0 ? null : `g${index - 1}` }));
  const deep = buildGroupTree(chain);
  assert.equal(deep.rows().at(-1)!.depth, 1_999);
  assert.equal(deep.ancestorsOf('g1999').length, 1_999);
  assert.equal(resolveRoute('g1999', deep, new Map([['g0', 'top']]), 'skip').route, 'top');
});
