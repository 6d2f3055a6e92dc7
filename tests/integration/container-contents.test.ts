/**
 * What the container image holds, proven without a Docker daemon (there is none on these machines):
 * the Dockerfile's last stage is rebuilt as a directory from its own COPY lines — the production
 * install (`npm ci --omit=dev`, as its prod-deps stage runs it) plus the built dist/ — and its CMD
 * and HEALTHCHECK run there exactly as written, with its ENV. Only /data, the addresses (loopback
 * here) and the ports (free ones) are changed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { load } from 'js-yaml';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, ROOT, SECRET, startChildRelay, stopChildRelay, tempDataDir, type ChildRelay } from '../helpers/relay-harness.ts';

interface Stage {
  name: string;
  workdir: string;
  env: Record<string, string>;
  copies: Array<{ from?: string; sources: string[]; destination: string }>;
  runs: string[];
  cmd?: string[];
  healthcheck?: string[];
}

/** The Dockerfile's stages, with the instructions this test replays (line continuations joined). */
function dockerfileStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const [, instruction = '', rest = ''] = /^\s*([A-Z]+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    if (instruction === 'FROM') stages.push({ name: / AS (\S+)/i.exec(rest)?.[1] ?? '', workdir: '/', env: {}, copies: [], runs: [] });
    else if (!stage) continue;
    else if (instruction === 'WORKDIR') stage.workdir = rest.trim();
    else if (instruction === 'RUN') stage.runs.push(rest.trim());
    else if (instruction === 'ENV') for (const [, key, value] of rest.matchAll(/(\w+)=(\S+)/g)) stage.env[key!] = value!;
    else if (instruction === 'CMD') stage.cmd = JSON.parse(rest) as string[];
    else if (instruction === 'HEALTHCHECK') stage.healthcheck = JSON.parse(rest.slice(rest.indexOf('CMD ') + 4)) as string[];
    else if (instruction === 'COPY') {
      const words = rest.trim().split(/\s+/);
      const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
      stage.copies.push({ from, sources: words.slice(0, -1), destination: words.at(-1)! });
    }
  }
  return stages;
}

const stages = dockerfileStages(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const prodDeps = stages.find((stage) => stage.name === 'prod-deps')!;
const build = stages.find((stage) => stage.name === 'build')!;
const work = tempDataDir('container-');
const ilert = await new FakeIlert().start();
let relay: ChildRelay | undefined;
after(async () => {
  await stopChildRelay(relay);
  await ilert.stop();
});

/** Where a path inside a stage is here: the build stage is this checkout (built by `npm test`'s pretest). */
function hostPath(stage: Stage, directory: string, inside: string): string {
  const absolute = path.posix.resolve(stage.workdir, inside);
  if (stage === build) return path.join(ROOT, path.posix.relative(build.workdir, absolute));
  return path.join(directory, path.posix.relative(stage.workdir, absolute));
}

function copyInto(stage: Stage, directory: string, sourceStage: Stage | undefined, sourceDirectory: string): void {
  for (const copy of stage.copies.filter((each) => (each.from === undefined) === (sourceStage === undefined) && (!sourceStage || each.from === sourceStage.name))) {
    for (const source of copy.sources) {
      const from = sourceStage ? hostPath(sourceStage, sourceDirectory, source) : path.join(ROOT, source);
      const to = hostPath(stage, directory, copy.destination.endsWith('/') ? path.posix.join(copy.destination, path.posix.basename(source)) : copy.destination);
      fs.cpSync(from, to, { recursive: true });
    }
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, output }));
}

test('the image runs as a non-root user, keeps its data in the /data volume, checks /healthz and exposes both ports', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const afterLastFrom = text.slice(text.lastIndexOf('\nFROM '));
  assert.match(afterLastFrom, /^USER relay$/m);
  assert.match(afterLastFrom, /^VOLUME \["\/data"\]$/m);
  assert.equal(runtime.env.RELAY_DATA_DIR, '/data');
  assert.match(afterLastFrom, /^EXPOSE 8787 8788$/m);
  assert.deepEqual([runtime.env.RELAY_PORT, runtime.env.RELAY_ADMIN_PORT], ['8787', '8788']);
  assert.match(runtime.healthcheck?.join(' ') ?? '', /\/healthz/);
  assert.match(text, /^FROM node:24-[a-z]+-slim\b/m);
  const baked = [...stages.flatMap((stage) => Object.keys(stage.env)), ...[...text.matchAll(/^ARG (\w+)/gm)].map((match) => match[1]!)];
  assert.deepEqual(
    baked.filter((name) => /SECRET|KEY|TOKEN|PASSWORD/.test(name)),
    [],
    'secrets come from the environment at run time, never from the image',
  );
});

test('its CMD, on only the production install and dist/, starts, answers /healthz and its HEALTHCHECK, and forwards a signed alert', async () => {
  // prod-deps: its COPY lines and its `npm ci --omit=dev`, from the npm cache where it can (the registry otherwise).
  const depsDir = path.join(work, 'prod-deps');
  fs.mkdirSync(depsDir);
  copyInto(prodDeps, depsDir, undefined, '');
  const install = prodDeps.runs.find((command) => command.startsWith('npm ci --omit=dev'));
  assert.ok(install, 'the prod-deps stage installs with npm ci --omit=dev');
  const installArgs = install.split('&&')[0]!.trim().split(/\s+/).slice(1);
  const installed = await run('npm', [...installArgs, '--prefer-offline'], depsDir, { ...process.env, NODE_OPTIONS: '' });
  assert.equal(installed.code, 0, `npm ci --omit=dev failed:\n${installed.output}`);

  const appDir = path.join(work, 'app');
  fs.mkdirSync(appDir);
  copyInto(runtime, appDir, prodDeps, depsDir);
  copyInto(runtime, appDir, build, ROOT);
  assert.ok(!fs.existsSync(path.join(appDir, 'node_modules/vite')), 'no development dependency is in the image');
  assert.ok(!fs.existsSync(path.join(appDir, 'electron')), 'no source is in the image');

  const [program, ...args] = runtime.cmd!;
  assert.equal(program, 'node');
  const dataDir = tempDataDir('container-data-');
  relay = await startChildRelay(
    {
      ...runtime.env,
      RELAY_DATA_DIR: dataDir,
      RELAY_HOST: '127.0.0.1',
      RELAY_ADMIN_HOST: '127.0.0.1',
      RELAY_PORT: '0',
      RELAY_ADMIN_PORT: '0',
      LEVEL_WEBHOOK_SECRET: SECRET,
      ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
      ILERT_API_URL: ilert.url,
    },
    { nodeFlags: args.slice(0, -1), entry: args.at(-1)!, cwd: appDir },
  );
  assert.match(relay.output(), /configuration: ok/);

  const healthz = await fetch(relay.url.replace('/webhooks/level', '/healthz'));
  assert.deepEqual([healthz.status, await healthz.json()], [200, { status: 'ok' }]);
  const [checkProgram, ...checkArgs] = runtime.healthcheck!;
  assert.equal(checkProgram, 'node');
  const healthEnv = { PATH: process.env.PATH ?? '', RELAY_PORT: new URL(relay.url).port };
  assert.equal((await run(process.execPath, checkArgs, appDir, healthEnv)).code, 0, 'HEALTHCHECK passes while the relay runs');

  const alert = alertEvent({ severity: 'critical', name: 'Disk full' });
  await new LevelSender({ url: relay.url, secret: SECRET }).deliver(alert);
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${alert.data.id}`).length === 1, 10_000, 'the alert to reach ilert');

  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0);
  assert.equal((await run(process.execPath, checkArgs, appDir, healthEnv)).code, 1, 'HEALTHCHECK fails once it has stopped');
});

test('compose.yaml and the systemd unit start the relay the same way, with its data where the image and unit keep it', () => {
  type Service = { build?: string; environment: Record<string, string>; volumes?: string[]; network_mode?: string; command?: string };
  const compose = load(fs.readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, Service> };
  const { relay: relayService, tunnel } = compose.services;
  assert.equal(relayService?.build, '.');
  assert.ok(relayService.volumes?.some((volume) => volume.endsWith(':/data')));
  // cloudflared in the relay's network: the receiver stays on loopback, so CF-Connecting-IP is believed.
  assert.equal(tunnel?.network_mode, 'service:relay');
  assert.equal(relayService.environment.RELAY_HOST, '127.0.0.1');
  assert.match(tunnel.command ?? '', /\btunnel\b.*\brun\b/);

  const unit = fs.readFileSync(path.join(ROOT, 'deploy/level-ilert-relay.service'), 'utf8');
  const setting = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1]);
  assert.deepEqual(setting('ExecStart'), [`/usr/bin/${runtime.cmd!.join(' ')}`]);
  assert.ok(setting('Environment').includes('RELAY_DATA_DIR=%S/level-ilert-relay'));
  assert.deepEqual(setting('StateDirectory'), ['level-ilert-relay']);
  for (const hardening of ['DynamicUser', 'NoNewPrivileges']) assert.deepEqual(setting(hardening), ['yes'], hardening);
  assert.deepEqual(setting('ProtectSystem'), ['strict']);
  assert.deepEqual(setting('KillSignal'), ['SIGTERM']);
  assert.deepEqual(setting('Restart'), ['on-failure']);
});
