import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/relay-harness.ts';

/**
 * The core's layers, lowest first: a room (a top-level file or folder of `electron/core`) may import
 * only from its own room or from a lower layer. The README's architecture section draws the same.
 */
const CORE_LAYERS = [
  ['sources'],
  ['errors.ts', 'logger.ts', 'heap-footprint.ts'],
  ['targets.ts'],
  ['settings.ts', 'periodic.ts', 'app-events.ts', 'secret-mask.ts', 'http', 'testing-seam.ts', 'data-dir.ts', 'holds'],
  ['level', 'settings-file.ts', 'log-file.ts', 'heartbeat.ts'],
  ['ilert', 'settings-service.ts'],
  ['store', 'api-clients.ts'],
  ['routing', 'forwarder', 'desktop', 'change-batcher.ts', 'quiet'],
  ['ingest', 'rules'],
  ['receiver'],
  ['diagnosis.ts', 'setup'],
  ['reconcile'],
  ['status'],
  ['api'],
  ['relay-parts.ts'],
  ['relay.ts', 'admin', 'remote'],
  ['boot.ts'],
];
const CORE = path.join(ROOT, 'electron/core');
const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Each file's relative imports (type imports too: a cycle of types is still a knot to read). */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    graph.set(
      file,
      [...text.matchAll(IMPORT)].map((match) => path.resolve(path.dirname(file), match[1]!)),
    );
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)).map((entry) => path.relative(ROOT, entry)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const roomOf = (file: string) => path.relative(CORE, file).split(path.sep)[0]!;
const layerOf = (room: string) => CORE_LAYERS.findIndex((layer) => layer.includes(room));

test('every room of the core has a layer, and no import runs back up the layers', () => {
  const graph = importGraph(CORE);
  const unplaced = [...new Set([...graph.keys()].map(roomOf))].filter((room) => layerOf(room) < 0);
  assert.deepEqual(unplaced, [], 'rooms missing from CORE_LAYERS');
  const upward = [...graph].flatMap(([file, imports]) =>
    imports
      .filter((target) => target.startsWith(CORE + path.sep) && roomOf(target) !== roomOf(file) && layerOf(roomOf(target)) >= layerOf(roomOf(file)))
      .map((target) => `${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`),
  );
  assert.deepEqual(upward, []);
});

test('only the store reaches its connection and statements: nothing outside store/ imports store/private.ts', () => {
  const privateKeys = path.join(CORE, 'store', 'private.ts');
  const outside = [...importGraph(path.join(ROOT, 'electron'))]
    .filter(([file, imports]) => roomOf(file) !== 'store' && imports.includes(privateKeys))
    .map(([file]) => path.relative(ROOT, file));
  assert.deepEqual(outside, []);
});

test('no import cycles in the core, the hosts, the contract or the renderer', () => {
  for (const dir of ['electron', 'shared', 'renderer/src']) assert.deepEqual(cycles(importGraph(path.join(ROOT, dir))), [], dir);
  const knot = new Map([
    ['/a.ts', ['/b.ts']],
    ['/b.ts', ['/a.ts']],
  ]);
  assert.equal(cycles(knot).length, 1, 'the check sees a cycle');
});
