#!/usr/bin/env node
// Imitates the parts of cloudflared's command line and log output that the tunnel launcher relies
// on, so its tests exercise real processes, real pipes and real signals without network access.
//
// Environment:
//   FAKE_CLOUDFLARED_EXIT_AFTER_MS  print an ERR line and exit 1 after this many ms
//   FAKE_CLOUDFLARED_NO_URL=1       never print the quick-tunnel URL or a registration
//   FAKE_CLOUDFLARED_CRASH_FILE     if this file exists: delete it and crash shortly after the URL
//   FAKE_CLOUDFLARED_ERR_WITH_TOKEN=1  named tunnel: fail at once with the token in the ERR line
//   FAKE_CLOUDFLARED_IGNORE_SIGTERM=1  keep running on SIGTERM, like cloudflared's grace period
//   FAKE_CLOUDFLARED_ARGS_LOG       append argv as one JSON line to this file
import fs from 'node:fs';
import process from 'node:process';
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout, setInterval } from 'node:timers';

const args = process.argv.slice(2);
const env = process.env;

if (env.FAKE_CLOUDFLARED_ARGS_LOG) fs.appendFileSync(env.FAKE_CLOUDFLARED_ARGS_LOG, `${JSON.stringify(args)}\n`);

// Writes to pipes are synchronous on POSIX but not on Windows: exit only once the line is out.
function exit(code) {
  process.stderr.write('', () => process.exit(code));
}

if (args[0] === '--version' || args[0] === 'version') {
  process.stdout.write('cloudflared version 2025.8.0 (built 2025-08-05-1200 UTC)\n');
  process.exit(0);
}

function log(level, message) {
  process.stderr.write(`${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} ${level} ${message}\n`);
}

function option(name) {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

function fail(message) {
  log('ERR', message);
  exit(1);
}

if (args[0] !== 'tunnel') {
  process.stderr.write(`Incorrect Usage: unknown command ${JSON.stringify(args[0] ?? '')}\n`);
  process.exit(2);
}

const WORDS = ['seasonal', 'deck', 'organizations', 'wv', 'plenty', 'harbor', 'quiet', 'marble', 'ridge', 'tables', 'oven', 'lucky', 'acres', 'kit', 'silver', 'motion'];
const randomName = () => Array.from({ length: 4 }, () => WORDS[randomInt(WORDS.length)]).join('-') + `-${randomInt(1e6).toString(36)}`;

function registered(index) {
  const locations = ['ams01', 'fra08', 'ams16', 'fra14'];
  log('INF', `Registered tunnel connection connIndex=${index} connection=${randomUUID()} event=0 ip=198.41.200.${13 + index * 10} location=${locations[index]} protocol=quic`);
}

let shuttingDown = false;
process.on('SIGTERM', () => {
  if (env.FAKE_CLOUDFLARED_IGNORE_SIGTERM === '1') {
    log('INF', 'Initiating graceful shutdown due to signal terminated ...');
    return;
  }
  if (shuttingDown) return;
  shuttingDown = true;
  log('INF', 'Initiating graceful shutdown due to signal terminated ...');
  log('INF', 'Tunnel server stopped');
  exit(0);
});
setInterval(() => {}, 1 << 30);

if (env.FAKE_CLOUDFLARED_EXIT_AFTER_MS) {
  setTimeout(
    () => fail('failed to connect to the edge error="DialContext error: dial tcp 198.41.200.13:7844: i/o timeout" connIndex=0 event=0 ip=198.41.200.13'),
    Number(env.FAKE_CLOUDFLARED_EXIT_AFTER_MS),
  );
}

function crashOnceAfterUrl() {
  const file = env.FAKE_CLOUDFLARED_CRASH_FILE;
  if (!file || !fs.existsSync(file)) return;
  fs.rmSync(file, { force: true });
  setTimeout(() => fail('Connection terminated error="control stream encountered a failure while serving" connIndex=0'), 100);
}

const version = 'Version 2025.8.0 (Checksum 3d5cf8ad14c95b2fb1a0a0e7a3d4f7d9b7c3e0f1a9b8c7d6e5f4a3b2c1d0e9f8)';
const token = option('--token') ?? env.TUNNEL_TOKEN;

if (args.includes('run') && token !== undefined) {
  log('INF', `Starting tunnel tunnelID=${randomUUID()}`);
  log('INF', version);
  log('INF', 'GOOS: linux, GOVersion: go1.24.4, GoArch: amd64');
  log('INF', 'Settings: map[no-autoupdate:true token:*****]');
  log('INF', 'Generated Connector ID: 1b4e28ba-2fa1-11d2-883f-0016d3cca427');
  if (env.FAKE_CLOUDFLARED_ERR_WITH_TOKEN === '1') {
    fail(`Provided Tunnel token is not valid token=${token}`);
  } else {
    log('INF', 'Initial protocol quic');
    log('INF', 'Starting metrics server on 127.0.0.1:20241/metrics');
    if (env.FAKE_CLOUDFLARED_NO_URL !== '1') {
      setTimeout(() => {
        registered(0);
        registered(1);
        crashOnceAfterUrl();
      }, 20);
    }
  }
} else {
  const url = option('--url');
  if (!url) {
    fail('You need to specify the origin with --url or a config file');
  } else {
    quickTunnel(url);
  }
}

function quickTunnel(url) {
  log(
    'INF',
    'Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/',
  );
  log('INF', 'Requesting new quick Tunnel on trycloudflare.com...');
  if (env.FAKE_CLOUDFLARED_NO_URL !== '1') {
    setTimeout(() => {
      const line = `|  https://${randomName()}.trycloudflare.com`;
      const width = 91;
      log('INF', `+${'-'.repeat(width)}+`);
      log('INF', `|  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |`);
      log('INF', `${line}${' '.repeat(Math.max(2, width - line.length + 1))}|`);
      log('INF', `+${'-'.repeat(width)}+`);
      log(
        'INF',
        'Cannot determine default configuration path. No file [config.yml config.yaml] in [~/.cloudflared ~/.cloudflare-warp ~/cloudflare-warp /etc/cloudflared /usr/local/etc/cloudflared]',
      );
      log('INF', `${version}`);
      log('INF', 'GOOS: linux, GOVersion: go1.24.4, GoArch: amd64');
      log('INF', `Settings: map[ha-connections:1 no-autoupdate:true protocol:quic url:${url}]`);
      log('INF', 'Generated Connector ID: 1b4e28ba-2fa1-11d2-883f-0016d3cca427');
      log('INF', 'Initial protocol quic');
      log('INF', 'Starting metrics server on 127.0.0.1:20241/metrics');
      registered(0);
      crashOnceAfterUrl();
    }, 20);
  }
}
