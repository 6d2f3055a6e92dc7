/**
 * Child processes for the benchmark: the headless relay (through the test harness) and the bare
 * node:http baseline, plus what /proc says about them. Every child is tracked so that it is stopped
 * (SIGTERM, then SIGKILL after a grace period) however the run ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildRelay, tempDataDir, SECRET, INTEGRATION_KEY, SERVE_BUNDLE } from '../tests/helpers/relay-harness.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface BenchChild {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  exited: Promise<number | null>;
  output: () => string;
  dataDir?: string;
  /** The relay's admin API (with its token), for getStatus. */
  adminUrl?: string;
}

const running = new Set<BenchChild>();
const tempDirs = new Set<string>();

export interface RelayChildOptions {
  ilertApiUrl: string;
  eventsPerMinute?: number;
  /** A data directory an earlier child left (it is not removed by cleanupAll); a fresh one by default. */
  dataDir?: string;
}

/** `npm run serve` (the bundled dist/cli/serve.js) in a fresh data directory, on an ephemeral port on 127.0.0.1. */
export async function startRelayChild(name: string, options: RelayChildOptions): Promise<BenchChild> {
  const dataDir = options.dataDir ?? tempDataDir('relay-bench-');
  tempDirs.add(dataDir);
  const relay = await startChildRelay(
    {
      RELAY_DATA_DIR: dataDir,
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: '0',
      LEVEL_WEBHOOK_SECRET: SECRET,
      ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
      ILERT_API_URL: options.ilertApiUrl,
      ILERT_EVENTS_PER_MINUTE: String(options.eventsPerMinute ?? 100_000),
    },
    { entry: SERVE_BUNDLE, nodeFlags: SERVE_FLAGS },
  );
  const entry: BenchChild = { name, child: relay.child, pid: relay.child.pid!, url: relay.url, exited: relay.exited, output: relay.output, dataDir, adminUrl: relay.adminUrl };
  running.add(entry);
  return entry;
}

/** Exactly what `npm run serve` runs. */
const SERVE_FLAGS = ['--experimental-sqlite'];

/** bench/bare-server.js with the same node and flags as the relay. */
export async function startBareChild(name: string, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<BenchChild> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // The durable baseline checks signatures made with the relay's secret and stores what it accepts.
  const script = options.durable ? 'bare-durable-server.js' : 'bare-server.js';
  const child = spawn(process.execPath, [...SERVE_FLAGS, path.join(BENCH_DIR, script)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...(options.durable ? { LEVEL_WEBHOOK_SECRET: SECRET } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const entry: BenchChild = { name, child, pid: child.pid!, url: '', exited, output: () => output };
  running.add(entry);
  entry.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening at (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bare server exited with ${code} before starting:\n${output}`));
    });
  });
  return entry;
}

/** SIGTERM, wait for the exit; SIGKILL if it takes longer than `graceMs`. Returns the exit code. */
export async function stopChild(entry: BenchChild, graceMs = 10_000): Promise<{ code: number | null; killed: boolean }> {
  running.delete(entry);
  if (entry.child.exitCode !== null || entry.child.signalCode !== null) return { code: entry.child.exitCode, killed: false };
  entry.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([entry.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    entry.child.kill('SIGKILL');
    await entry.exited;
    return { code: null, killed: true };
  }
  return { code: result, killed: false };
}

/** Stops whatever is still running and deletes the relays' data directories. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...running].map((entry) => stopChild(entry, 5000).catch(() => undefined)));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Resident set size now and at its peak, in bytes, from /proc/<pid>/status. */
export function readRss(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** I/O counters of a process from /proc/<pid>/io: bytes passed to write()/pwrite() and the number of such calls. */
export function readIo(pid: number): { wchar: number; syscw: number; rchar: number; syscr: number } | undefined {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? NaN);
    return { wchar: field('wchar'), syscw: field('syscw'), rchar: field('rchar'), syscr: field('syscr') };
  } catch {
    return undefined;
  }
}

/** Total size of the files in a directory (the relay's database, WAL and settings), in bytes. */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    const stat = fs.statSync(path.join(dir, name));
    if (stat.isFile()) total += stat.size;
  }
  return total;
}

/** CPU time (user + system, all threads) a process has used so far, in ms; Linux clock ticks are 10 ms. */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU time all processes on the machine have used so far (everything but idle and iowait), in ms. */
export function readMachineBusyMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
  } catch {
    return undefined;
  }
}

export interface CpuShares {
  /** Percent of one core for each pid, in the order given. */
  children: (number | undefined)[];
  /** Percent of one core used by this process (the load generator). */
  self: number;
  /** Percent of one core used by everything else on the machine: noise in the measurement. */
  others: number | undefined;
}

/** Measures the CPU share of the given processes, of this one and of the rest of the machine over an interval. */
export class CpuMeter {
  readonly #pids: number[];
  readonly #start: (number | undefined)[];
  readonly #machineStart = readMachineBusyMs();
  readonly #own = process.cpuUsage();
  readonly #wallStart = performance.now();

  constructor(pids: number[]) {
    this.#pids = pids;
    this.#start = pids.map(readCpuMs);
  }

  stop(): CpuShares {
    const wall = performance.now() - this.#wallStart;
    const used = this.#pids.map((pid, index) => {
      const now = readCpuMs(pid);
      const start = this.#start[index];
      return now === undefined || start === undefined ? undefined : now - start;
    });
    const own = process.cpuUsage(this.#own);
    const ownMs = (own.user + own.system) / 1000;
    const machineNow = readMachineBusyMs();
    const machine = machineNow === undefined || this.#machineStart === undefined ? undefined : machineNow - this.#machineStart;
    const ours = ownMs + used.reduce<number>((sum, value) => sum + (value ?? 0), 0);
    return {
      children: used.map((value) => (value === undefined ? undefined : (value / wall) * 100)),
      self: (ownMs / wall) * 100,
      others: machine === undefined ? undefined : (Math.max(0, machine - ours) / wall) * 100,
    };
  }
}
