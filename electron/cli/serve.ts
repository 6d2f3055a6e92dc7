/**
 * `npm run serve`: the relay without Electron, for an always-on machine. Prints where it listens
 * and what is misconfigured; stops cleanly on SIGINT/SIGTERM. `npm run serve -- --print-url`
 * prints the current admin link and exits; `npm run backup -- <file>` copies the database, also
 * while a relay runs on it.
 */
// First: V8's heap settings, before the allocations of every module below (see heap-footprint.ts).
import '../core/heap-footprint.ts';
import { fileURLToPath } from 'node:url';
import { AdminServer, doorHostName, isLoopbackHost } from '../core/admin/admin-server.ts';
import { loadOrCreateTls, TlsConfigError, type TlsMaterial } from '../core/admin/certificate.ts';
import { OwnerToken } from '../core/admin/owner-token.ts';
import type { Handlers } from '../../shared/contract.ts';
import { bootRelay, RelayOpenError } from '../core/boot.ts';
import { consoleLogger } from '../core/logger.ts';
import { resolveDataDir } from '../core/data-dir.ts';
import type { Relay, RelayTuning } from '../core/relay.ts';
import { SettingsFile } from '../core/settings-file.ts';
import { SettingsService } from '../core/settings-service.ts';
import { configurationProblems, SettingsError } from '../core/settings.ts';
import { DamagedLockFileError, DataDirInUseError } from '../core/store/data-dir-lock.ts';
import { describeStoreError, sqliteCode } from '../core/store/database.ts';
import { backupStore, BackupError } from '../core/store/backup.ts';

function fail(message: string): never {
  console.error(`level-ilert-relay: ${message}`);
  process.exit(1);
}

function listenError(error: NodeJS.ErrnoException, what: string, host: string, port: number, variable: string): string {
  if (error.code === 'EADDRINUSE') return `${what} port ${port} on ${host} is in use: stop the other program or set ${variable}`;
  if (error.code === 'EADDRNOTAVAIL') return `${what} cannot listen on ${host}: no such address on this machine (set RELAY_HOST)`;
  if (error.code === 'EACCES') return `${what} may not listen on port ${port}: choose a port above 1024 (${variable})`;
  return `${what} could not start: ${error.message}`;
}

/** Faster polling for tests and demos; a user never needs these. */
function tuningFromEnvironment(env: NodeJS.ProcessEnv): RelayTuning {
  const ms = (name: string) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value >= 100 ? value : undefined;
  };
  return { ilertPollMs: ms('RELAY_ILERT_POLL_MS'), reconcileIntervalMs: ms('RELAY_RECONCILE_MS') };
}

/** `--backup <file>`: the online backup, then exit. */
async function backup(dataDir: string, destination: string | undefined): Promise<void> {
  if (!destination || destination.startsWith('--')) fail('name the backup file: npm run backup -- <file>');
  try {
    const result = await backupStore(dataDir, destination);
    console.log(`level-ilert-relay: backup of ${dataDir} written to ${result.destination} (${(result.bytes / 1_000_000).toFixed(1)} MB, checked)`);
  } catch (error) {
    if (error instanceof BackupError) fail(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const dataDir = resolveDataDir();
  const backupFlag = process.argv.indexOf('--backup');
  if (backupFlag !== -1) return backup(dataDir, process.argv[backupFlag + 1]);
  let relay: Relay | undefined;
  let service: SettingsService;
  let settingsPath: string;
  try {
    const file = new SettingsFile(dataDir);
    settingsPath = file.path;
    // Headless there is no OS keychain to encrypt with: say so where secrets are typed in.
    const secretsNotice = `Secrets saved here are written in plain text to ${file.path} (readable only by this user account, not encrypted): anyone who can read that file or a backup of it can use them. To keep them out of the file, set them as environment variables instead (LEVEL_WEBHOOK_SECRET, ILERT_INTEGRATION_KEY, …).`;
    service = new SettingsService(file, process.env, [], secretsNotice);
  } catch (error) {
    if (error instanceof SettingsError) fail(error.message);
    throw error;
  }
  const settings = service.current;
  const remoteDoor = !isLoopbackHost(settings.adminHost);
  const scheme = remoteDoor ? 'https' : 'http';
  let ownerToken: OwnerToken;
  try {
    ownerToken = new OwnerToken(dataDir);
  } catch (error) {
    fail(`cannot keep the admin token in ${dataDir}: ${(error as Error).message}`);
  }
  if (process.argv.includes('--print-url')) {
    const port = settings.adminPort === 0 ? '<port>' : settings.adminPort;
    console.log(`${scheme}://${doorHostName(settings.adminHost, settings.adminHostNames)}:${port}/?token=${ownerToken.value}`);
    return;
  }
  let tls: TlsMaterial | undefined;
  if (remoteDoor) {
    try {
      tls = loadOrCreateTls(
        dataDir,
        [...settings.adminHostNames, doorHostName(settings.adminHost), 'localhost', '127.0.0.1', ...(settings.adminHost === '0.0.0.0' ? [] : [settings.adminHost])],
        {
          cert: process.env.RELAY_TLS_CERT,
          key: process.env.RELAY_TLS_KEY,
        },
      );
    } catch (error) {
      if (error instanceof TlsConfigError) fail(error.message);
      throw error;
    }
  }

  let admin: AdminServer | undefined = undefined;
  let handlers: Handlers;
  const log = consoleLogger();
  try {
    ({ relay, handlers } = await bootRelay({
      dataDir,
      log,
      settings: service,
      tuning: tuningFromEnvironment(process.env),
      door: () => admin,
      receiverRequired: true,
    }));
  } catch (error) {
    if (error instanceof RelayOpenError) {
      if (error.cause instanceof DataDirInUseError || error.cause instanceof DamagedLockFileError) fail(error.cause.message);
      fail(`cannot open the database in ${dataDir}: ${error.message}`);
    }
    if ((error as NodeJS.ErrnoException).syscall === 'listen') fail(listenError(error as NodeJS.ErrnoException, 'the receiver', settings.host, settings.port, 'RELAY_PORT'));
    if (sqliteCode(error) !== undefined) fail(`cannot use the database in ${dataDir}: ${describeStoreError(error, dataDir)}`);
    fail(`could not start: ${(error as Error).message}`);
  }
  const running = relay;
  const door = new AdminServer({
    handlers,
    rendererDir: fileURLToPath(new URL('../../dist/renderer', import.meta.url)),
    team: running.teamDoor,
    ownerToken,
    host: settings.adminHost,
    hostNames: settings.adminHostNames,
    tls,
    log: log.child('admin door'),
  });
  admin = door;
  try {
    await door.listen(settings.adminPort);
  } catch (error) {
    await running.stop();
    fail(
      listenError(error as NodeJS.ErrnoException, 'the admin dashboard', settings.adminHost, settings.adminPort, 'RELAY_ADMIN_PORT').replace(
        '(set RELAY_HOST)',
        '(set RELAY_ADMIN_HOST)',
      ),
    );
  }
  running.events.on('changes', (changes) => door.push(changes));
  // Before anything is printed: whoever waits for the start-up lines may stop the relay at once.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`level-ilert-relay: ${signal} received, finishing in-flight work…`);
    Promise.all([door.close(), running.stop()]).then(
      () => {
        console.log('level-ilert-relay: stopped');
        process.exit(0);
      },
      (error: unknown) => fail(`could not stop cleanly: ${(error as Error).message}`),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  console.log(`level-ilert-relay: receiver listening at ${running.receiverUrl}`);
  if (tls) {
    console.log(`  dashboard (admin link, HTTPS on ${settings.adminHost}): ${door.url}`);
    console.log(`  certificate SHA-256 fingerprint: ${tls.fingerprint256}`);
    console.log(`  certificate: ${tls.source}`);
  } else {
    console.log(`  dashboard (this machine only): ${door.url}`);
  }
  console.log(`  data directory: ${dataDir}`);
  console.log(`  settings file:  ${settingsPath}`);
  console.log(`  forwarding to:  ${settings.ilertApiUrl}/api/events (at most ${settings.ilertEventsPerMinute} events/min per key)`);
  const problems = running.warnings();
  for (const problem of problems) console.log(`  warning: ${problem}`);
  if (problems.length === 0) console.log('  configuration: ok');
  // The dashboard's Setup tab checks each step as it is entered; the variables are for scripted installs.
  if (configurationProblems(running.settings).length > 0)
    console.log(`  to fix: open the Setup tab, ${door.url}#/setup (or set the environment variables named above and restart)`);
  console.log('Press Ctrl+C to stop.');
}

await main();
