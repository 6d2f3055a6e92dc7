import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { ROOT } from '../helpers/relay-harness.ts';

/**
 * The hosted CI and release workflows cannot run here, so what matters about them is held here:
 * they parse, Node comes from .nvmrc (one version everywhere), the test job covers the three desktop
 * OSes, a Linux job runs .ci/run (so the two CI paths cannot drift apart), and tags publish drafts.
 */
type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; env?: Record<string, string> };
type Job = { 'runs-on': string; steps: Step[]; strategy?: { matrix: { include?: Array<Record<string, string>>; os?: string[] } } };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };

function workflow(name: string): Workflow {
  return load(fs.readFileSync(path.join(ROOT, '.github/workflows', name), 'utf8')) as Workflow;
}

function matrixOses(job: Job): string[] {
  const matrix = job.strategy?.matrix;
  return [...(matrix?.os ?? []), ...(matrix?.include ?? []).map((entry) => entry.os!)].sort();
}

function setupNodeSteps(flow: Workflow): Step[] {
  return Object.values(flow.jobs).flatMap((job) => job.steps.filter((step) => step.uses?.startsWith('actions/setup-node@')));
}

test('CI: the test job runs on Linux, macOS and Windows with typecheck, lint, format check and npm test', () => {
  const flow = workflow('ci.yml');
  const job = flow.jobs.test!;
  assert.deepEqual(matrixOses(job), ['macos-latest', 'ubuntu-latest', 'windows-latest']);
  const commands = job.steps.map((step) => step.run ?? '');
  for (const command of ['npm ci', 'npm run typecheck', 'npm run lint', 'npm run format:check', 'npm test'])
    assert.ok(
      commands.some((run) => run.includes(command)),
      `ci.yml test job runs ${command}`,
    );
  // The e2e tests need Electron's binary: the install must not skip its download.
  assert.ok(!JSON.stringify(job).includes('ELECTRON_SKIP_BINARY_DOWNLOAD'));
  assert.ok(
    commands.some((run) => run.includes('xvfb-run') && run.endsWith('npm test')),
    'Linux runs the tests under Xvfb',
  );
  assert.ok(job.steps.some((step) => step.uses?.startsWith('actions/upload-artifact@') && step.with?.path === 'test-results/'));
});

test('CI: a Linux job runs .ci/run', () => {
  const jobs = Object.values(workflow('ci.yml').jobs).filter((job) => job.steps.some((step) => /^bash \.ci\/run\b/.test(step.run ?? '')));
  assert.ok(jobs.length > 0, 'some job runs .ci/run');
  assert.ok(jobs.every((job) => job['runs-on'].startsWith('ubuntu-')));
});

test('both workflows take Node from .nvmrc, and .nvmrc names the Node the project runs on', () => {
  for (const name of ['ci.yml', 'release.yml']) {
    const steps = setupNodeSteps(workflow(name));
    assert.ok(steps.length > 0, `${name} sets up Node`);
    for (const step of steps) assert.deepEqual([step.with?.['node-version-file'], step.with?.['node-version']], ['.nvmrc', undefined], name);
  }
  assert.match(fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim(), /^\d+$/);
});

test('Release: a version tag builds deb, AppImage, NSIS and dmg (x64 and arm64, with the zip the updater installs from) into a draft release', () => {
  const flow = workflow('release.yml');
  assert.deepEqual(flow.on, { push: { tags: ['v*.*.*'] } });
  const job = flow.jobs.installers!;
  assert.deepEqual(matrixOses(job), ['macos-latest', 'ubuntu-latest', 'windows-latest']);
  const targets = Object.fromEntries(job.strategy!.matrix.include!.map((entry) => [entry.os, entry.targets]));
  assert.deepEqual(targets, { 'ubuntu-latest': '--linux deb AppImage', 'windows-latest': '--win nsis', 'macos-latest': '--mac dmg zip --x64 --arm64' });
  assert.ok(job.steps.some((step) => step.run?.includes('npx electron-builder "${args[@]}" --publish always')));
  const builder = load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as { publish: Record<string, string> };
  assert.equal(builder.publish.provider, 'github');
  assert.equal(builder.publish.releaseType, 'draft');
});
