import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_FLAGS, ROOT } from '../helpers/relay-harness.ts';

/**
 * A burst shaped like a storm's: many short-lived objects, a few batches alive at once. Reports the
 * young generation's size afterwards, which is what an idle relay then keeps resident.
 */
function youngGenerationAfterBurst(keepSmall: boolean): { newSpaceMb: number; stderr: string } {
  const module = pathToFileURL(path.join(ROOT, 'electron/core/heap-footprint.ts')).href;
  const script = `
    import v8 from 'node:v8';
    if (${keepSmall}) await import(${JSON.stringify(module)});
    const live = [];
    for (let i = 0; i < 400; i++) {
      const batch = [];
      for (let j = 0; j < 2000; j++) batch.push({ id: j, text: 'alert ' + i + ':' + j });
      live.push(batch);
      if (live.length > 20) live.shift();
    }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(space.space_size / 1048576);`;
  const child = spawnSync(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return { newSpaceMb: Number(child.stdout.trim()), stderr: child.stderr };
}

test('after a burst the relay’s hosts keep a small young generation, where V8 alone keeps its largest', () => {
  const untuned = youngGenerationAfterBurst(false);
  const tuned = youngGenerationAfterBurst(true);
  assert.ok(untuned.newSpaceMb >= 16, `the burst grows an untuned young generation (${untuned.newSpaceMb} MB), so this test can tell`);
  assert.ok(tuned.newSpaceMb <= 8, `young generation ${tuned.newSpaceMb} MB after the burst`);
  // V8 warns on stderr, and goes on, when it does not know a flag (a renamed one in a later Node or Electron).
  assert.equal(tuned.stderr, '');
});
