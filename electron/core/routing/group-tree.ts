/**
 * Level's group hierarchy and the routing rule built on it (the rule AlgaPSA's and ITFlow's Level
 * integrations use; groups as Level's API returns them: https://levelapi.readme.io/):
 * a device is routed by the mapping of its own group or, failing that, of the nearest mapped ancestor.
 * Level's data cannot be trusted to be a tree (its docs say `parent_id=null` is unreliable), so the
 * builder tolerates any order, parents that are not in the list, and parent chains that loop.
 */
import { PATH_SEPARATOR } from '../level/envelope.ts';

export interface GroupInput {
  id: string;
  name: string;
  parent_id: string | null;
}

export interface GroupNode {
  id: string;
  name: string;
  /** The parent the tree uses: null for roots, including groups whose declared parent was unusable. */
  parentId: string | null;
  /** What Level said, kept so a flagged group can show what was wrong. */
  declaredParentId: string | null;
  /** Sorted by name. */
  childIds: string[];
  /**
   * missing-parent: Level names a parent it did not list (deleted, or another page changed under us).
   * cycle: the parent chain loops back to this group; all its members become roots so none inherits
   * through a link that cannot be right.
   */
  issue?: 'missing-parent' | 'cycle';
  /** For issue 'cycle': the groups of the loop, in parent order starting at this group. */
  cycleIds?: string[];
}

export interface GroupRow {
  id: string;
  name: string;
  depth: number;
  /** Names from the root down, e.g. "Acme / HQ / Servers". */
  path: string;
  parentId: string | null;
  childIds: string[];
  issue?: GroupNode['issue'];
}

export interface GroupTree {
  byId: ReadonlyMap<string, GroupNode>;
  /** Root ids, sorted by name. */
  roots: readonly string[];
  /** Ids of groups whose declared parent could not be used. */
  flagged: readonly string[];
  /** Depth-first, children sorted by name: the order a table shows. */
  rows(): GroupRow[];
  /** "Acme / HQ / Servers", or undefined for an unknown id. */
  pathOf(id: string): string | undefined;
  /** Nearest first, without the group itself; [] for roots and unknown ids. */
  ancestorsOf(id: string): string[];
}

function byName(byId: ReadonlyMap<string, GroupNode>) {
  return (a: string, b: string): number => {
    const nameA = byId.get(a)?.name ?? '';
    const nameB = byId.get(b)?.name ?? '';
    return nameA.localeCompare(nameB, undefined, { sensitivity: 'base', numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);
  };
}

export function buildGroupTree(groups: readonly GroupInput[]): GroupTree {
  const byId = new Map<string, GroupNode>();
  for (const group of groups) {
    // A duplicate id (a page that shifted during listing) keeps the first copy, so the result does not depend on which page repeated it.
    if (byId.has(group.id)) continue;
    const declared = group.parent_id === '' ? null : (group.parent_id ?? null);
    byId.set(group.id, { id: group.id, name: group.name, parentId: declared, declaredParentId: declared, childIds: [] });
  }

  for (const node of byId.values()) {
    if (node.parentId !== null && !byId.has(node.parentId)) {
      node.parentId = null;
      node.issue = 'missing-parent';
    }
  }

  // Parent links form a functional graph: walking each unvisited chain once finds every loop in O(n).
  const done = new Set<string>();
  for (const start of byId.keys()) {
    if (done.has(start)) continue;
    const chain: string[] = [];
    const position = new Map<string, number>();
    let current: string | null = start;
    while (current !== null && !done.has(current) && !position.has(current)) {
      position.set(current, chain.length);
      chain.push(current);
      current = byId.get(current)?.parentId ?? null;
    }
    if (current !== null && position.has(current)) {
      const loop = chain.slice(position.get(current));
      loop.forEach((id, index) => {
        const node = byId.get(id)!;
        node.issue = 'cycle';
        node.cycleIds = [...loop.slice(index), ...loop.slice(0, index)];
      });
      for (const id of loop) byId.get(id)!.parentId = null;
    }
    for (const id of chain) done.add(id);
  }

  const compare = byName(byId);
  const roots: string[] = [];
  for (const node of byId.values()) {
    if (node.parentId === null) roots.push(node.id);
    else byId.get(node.parentId)!.childIds.push(node.id);
  }
  roots.sort(compare);
  for (const node of byId.values()) node.childIds.sort(compare);
  const flagged = [...byId.values()].filter((node) => node.issue).map((node) => node.id);

  const ancestorsOf = (id: string): string[] => {
    const ancestors: string[] = [];
    const seen = new Set<string>([id]);
    let parent = byId.get(id)?.parentId ?? null;
    // The loops are broken above; `seen` keeps this safe should a caller mutate a node.
    while (parent !== null && !seen.has(parent)) {
      ancestors.push(parent);
      seen.add(parent);
      parent = byId.get(parent)?.parentId ?? null;
    }
    return ancestors;
  };

  const pathOf = (id: string): string | undefined => {
    const node = byId.get(id);
    if (!node) return undefined;
    return [...ancestorsOf(id).reverse(), id].map((each) => byId.get(each)!.name).join(PATH_SEPARATOR);
  };

  const rows = (): GroupRow[] => {
    const result: GroupRow[] = [];
    // Iterative, so a pathologically deep hierarchy cannot overflow the stack.
    const stack: { id: string; depth: number; prefix: string }[] = [...roots].reverse().map((id) => ({ id, depth: 0, prefix: '' }));
    while (stack.length > 0) {
      const { id, depth, prefix } = stack.pop()!;
      const node = byId.get(id)!;
      const path = prefix ? `${prefix}${PATH_SEPARATOR}${node.name}` : node.name;
      result.push({ id, name: node.name, depth, path, parentId: node.parentId, childIds: [...node.childIds], ...(node.issue ? { issue: node.issue } : {}) });
      for (let index = node.childIds.length - 1; index >= 0; index -= 1) stack.push({ id: node.childIds[index]!, depth: depth + 1, prefix: path });
    }
    return result;
  };

  return { byId, roots, flagged, rows, pathOf, ancestorsOf };
}

export type RouteDecision<R> =
  | {
      kind: 'mapped';
      route: R;
      mappedGroupId: string;
      /** False when the device's own group is mapped. */
      inherited: boolean;
      reason: string;
    }
  | { kind: 'default' | 'skip'; route?: undefined; mappedGroupId?: undefined; inherited?: undefined; reason: string };

const quoted = (text: string) => `“${text}”`;

/**
 * The nearest mapping from the device's group upwards (the group itself first), so a subgroup's own
 * mapping overrides its ancestors'. Without one, `unmapped` decides between the default route and skipping.
 */
export function resolveRoute<R>(groupId: string | null | undefined, tree: GroupTree, mappings: ReadonlyMap<string, R>, unmapped: 'default' | 'skip'): RouteDecision<R> {
  const fallback = unmapped === 'default' ? 'default route' : 'skipped';
  const none = (why: string): RouteDecision<R> => ({ kind: unmapped, reason: `${why}: ${fallback}` });

  if (groupId === null || groupId === undefined || groupId === '') return none('device has no group');

  const node = tree.byId.get(groupId);
  if (!node) {
    // The tree may be older than the group; a mapping made on the id itself still holds.
    if (mappings.has(groupId)) {
      return { kind: 'mapped', route: mappings.get(groupId) as R, mappedGroupId: groupId, inherited: false, reason: `mapped on group ${groupId} (not in Level’s group list)` };
    }
    return none(`group ${groupId} is unknown`);
  }

  const path = tree.pathOf(groupId)!;
  for (const candidate of [groupId, ...tree.ancestorsOf(groupId)]) {
    if (!mappings.has(candidate)) continue;
    const name = tree.byId.get(candidate)!.name;
    if (candidate === groupId) {
      return { kind: 'mapped', route: mappings.get(candidate) as R, mappedGroupId: candidate, inherited: false, reason: `mapped on ${quoted(name)}` };
    }
    return {
      kind: 'mapped',
      route: mappings.get(candidate) as R,
      mappedGroupId: candidate,
      inherited: true,
      reason: `inherited from ${quoted(name)} (nearest mapped ancestor of ${quoted(path)})`,
    };
  }

  const caveat =
    node.issue === 'cycle'
      ? ` (its parents in Level loop: ${node.cycleIds!.map((id) => quoted(tree.byId.get(id)!.name)).join(' → ')} → …, so nothing is inherited)`
      : node.issue === 'missing-parent'
        ? ` (its parent ${node.declaredParentId} is not in Level’s group list)`
        : '';
  return none(`no mapping for ${quoted(path)} or its ancestors${caveat}`);
}

export interface GroupDeviceCount {
  /** Devices whose group is this one. */
  direct: number;
  /** Devices in this group and every group below it. */
  subtree: number;
}

/** Per group of the tree (zeros included), how many devices a mapping on it would cover. */
export function deviceCountsBySubtree(tree: GroupTree, devices: readonly { group_id?: string | null }[]): Map<string, GroupDeviceCount> {
  const counts = new Map<string, GroupDeviceCount>();
  for (const id of tree.byId.keys()) counts.set(id, { direct: 0, subtree: 0 });
  const direct = new Map<string, number>();
  for (const device of devices) {
    const groupId = device.group_id;
    if (groupId && counts.has(groupId)) direct.set(groupId, (direct.get(groupId) ?? 0) + 1);
  }
  for (const [groupId, count] of direct) {
    counts.get(groupId)!.direct = count;
    for (const id of [groupId, ...tree.ancestorsOf(groupId)]) counts.get(id)!.subtree += count;
  }
  return counts;
}
