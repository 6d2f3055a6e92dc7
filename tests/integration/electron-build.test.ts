/**
 * What users install: the built bundles, and the packaged app (electron-builder --dir). Electron's
 * own binary cannot be downloaded here, so the package is made around a stand-in binary that
 * carries Electron's fuse wire; the app inside app.asar is then started under the strict
 * Electron stand-in, from a directory with no node_modules anywhere above it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractAll } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';

const [DISABLED, ENABLED] = ['0'.charCodeAt(0), '1'.charCodeAt(0)];
import { ROOT, SECRET, tempDataDir } from '../helpers/relay-harness.ts';
import { BUILT_MAIN, launchDesktop } from '../helpers/desktop-process.ts';

/** Not one in a template string: ajv (in electron-store) holds `require("ajv/dist/runtime/…")` as text, for code it can write out, never runs. */
const required = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/(?<!`)require\("([^"]+)"\)/g)].map((match) => match[1]!);

test('the sandboxed preload is one file that requires nothing but electron', () => {
  assert.deepEqual([...new Set(required(path.join(ROOT, 'dist/electron/preload.cjs')))], ['electron']);
});

test('the main bundle carries its dependencies: it requires only electron and Node built-ins', () => {
  const allowed = new Set(['electron', ...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  assert.deepEqual(
    required(BUILT_MAIN).filter((name) => !allowed.has(name)),
    [],
  );
});

/** A file that passes for Electron's binary with electron-builder: Electron 45's default fuse wire after the sentinel. */
function standinElectronDist(): string {
  const dir = tempDataDir('electron-dist-');
  const wire = '10110001'; // RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, AsarIntegrity, OnlyLoadAppFromAsar, V8Snapshot, GrantFileProtocol
  fs.writeFileSync(
    path.join(dir, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, wire.length]), Buffer.from(wire)]),
    { mode: 0o755 },
  );
  return dir;
}

test(
  'the packaged app (electron-builder --dir): fuses set, and the app inside app.asar starts and quits under the stand-in',
  { skip: os.platform() !== 'linux' && 'packages for this OS only on Linux here' },
  async () => {
    const output = tempDataDir('packaged-');
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/electron-builder/cli.js'),
        '--dir',
        '--linux',
        '--x64',
        '--publish',
        'never',
        `-c.electronDist=${standinElectronDist()}`,
        `-c.directories.output=${output}`,
      ],
      {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
      },
    );
    const unpacked = path.join(output, 'linux-unpacked');
    const fuses = await getCurrentFuseWire(path.join(unpacked, 'level-ilert-relay'));
    assert.deepEqual(
      {
        runAsNode: fuses[FuseV1Options.RunAsNode],
        cookieEncryption: fuses[FuseV1Options.EnableCookieEncryption],
        nodeOptions: fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable],
        inspectArguments: fuses[FuseV1Options.EnableNodeCliInspectArguments],
        onlyLoadAppFromAsar: fuses[FuseV1Options.OnlyLoadAppFromAsar],
      },
      { runAsNode: DISABLED, cookieEncryption: ENABLED, nodeOptions: DISABLED, inspectArguments: DISABLED, onlyLoadAppFromAsar: ENABLED },
    );

    // The feed electron-updater reads in the installed app: the draft releases release.yml publishes.
    const updateConfig = fs.readFileSync(path.join(unpacked, 'resources', 'app-update.yml'), 'utf8');
    assert.match(updateConfig, /^provider: github$/m);
    assert.match(updateConfig, /^owner: level-ilert-relay$/m);
    assert.match(updateConfig, /^repo: level-ilert-relay$/m);

    const app = tempDataDir('app-asar-');
    extractAll(path.join(unpacked, 'resources', 'app.asar'), app);
    assert.equal(fs.existsSync(path.join(app, 'node_modules')), false, 'nothing from node_modules is packaged');
    const main = path.join(app, JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')).main);
    const desktop = await launchDesktop({ main, env: { LEVEL_WEBHOOK_SECRET: SECRET, STANDIN_PACKAGED: '1' } });
    try {
      const loaded = desktop.events.find((event) => event.event === 'loaded')!;
      for (const resource of loaded.resources as { url: string; status: number; csp: string | null }[]) {
        assert.equal(resource.status, 200, resource.url);
        assert.ok(resource.csp, resource.url);
      }
      const state = await desktop.state();
      assert.ok(String(state.windows[0]!.webPreferences.preload).startsWith(app), 'the preload comes from the package');
      assert.equal(state.trays[0]!.empty, false, `the tray icon is packaged: ${state.trays[0]!.image}`);
      const status = await desktop.invoke<{ receiverUrl: string }>('getStatus');
      const health = await fetch(status.value!.receiverUrl.replace('/webhooks/level', '/healthz'));
      assert.equal(health.status, 200);
      await desktop.command('trayClick', { label: 'Quit' });
      assert.equal(await desktop.exited, 0, desktop.diagnostics());
      assert.deepEqual(desktop.uncaught(), []);
    } finally {
      await desktop.kill();
    }
  },
);
