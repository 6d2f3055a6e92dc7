/**
 * `npm run bench`: four figures for the headless relay, each against a baseline measured in the same
 * run, then a summary table; results also go to bench-results/latest.json.
 *
 *   1. an alert storm: distinct signed alert_active bodies at 16 and 50 connections with the
 *      default 50/min rate limit, round by round while the backlog grows past 80,000, vs a bare
 *      node:http server answering 202 (the ceiling) and a bare durable server (HMAC, one INSERT in
 *      a group commit, then 202: the least a durable ack costs); then getStatus latency with that backlog
 *  1b. throughput of signed device_updated deliveries (no ilert work) vs the same bare server
 *   2. ack latency at a steady 200 req/s vs the same against the bare server
 *   3. Level-in → ilert-out latency with an idle rate limiter vs one direct POST to the fake ilert
 *   4. RSS of the relay idle and after 100,000 stored events vs the bare server
 *   5. the dashboard (Debian's Chromium) with 25,000 active alerts: load, tab switch, page heap
 *   6. ack latency at a steady rate on a store of 100,000 alert deliveries, without and with eight
 *      viewers searching the delivery log in a loop
 *   7. the ingest cost (relay CPU per alert) with 100 maintenance windows and 50 rules vs none (bench/quiet-cost.ts)
 *   8. the second stage: processing lag at a sustained rate; RSS with 100,000 queued jobs and after
 *      a restart on them, and the time to the first 202 after that restart (bench/processing.ts)
 *
 * Everything runs on 127.0.0.1, is bounded in count and time, and stops by itself. Missing an aim is
 * reported, not fatal; the exit code is non-zero only when something went wrong (a non-2xx answer,
 * a connection error, a child that did not start or stop cleanly, ...).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DATABASE_FILE } from '../electron/core/store/database.ts';
import { toIlertEvent } from '../electron/core/ilert/event-mapping.ts';
import type { LevelAlert } from '../electron/core/level/envelope.ts';
import { FakeIlert } from '../tests/fakes/fake-ilert.ts';
import { ROOT, SECRET, INTEGRATION_KEY } from '../tests/helpers/relay-harness.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { BodyPool, deviceUpdatedEvent, signEvent, type SignedBody } from './payloads.ts';
import { alertEvent } from '../tests/fakes/level-sender.ts';
import { post, runAutocannon, runPaced, signedHeaders, summarize, type LoadResult, type PacedResult } from './load.ts';
import { quietCost, type QuietCostResult } from './quiet-cost.ts';
import { processingFigure, PROCESSING_AIMS, type ProcessingResult } from './processing.ts';
import { CpuMeter, cleanupAll, type CpuShares, dirBytes, readIo, readRss, startBareChild, startRelayChild, stopChild, type BenchChild } from './processes.ts';

// ---- parameters -------------------------------------------------------------------------------

const THROUGHPUT = { connections: 50, warmupS: 2, durationS: 10 };
const DASHBOARD = { alerts: 25_000, connections: 16, tabSwitches: 5 };
const STORM = { connections: [16, 50], roundS: 5, backlog: 100_000, maxRounds: 12, eventsPerMinute: 50, statusCalls: 20, durableBodies: 200_000 };
const LATENCY = { rate: 200, warmupS: 1, durationS: 10, autocannonDurationS: 10, autocannonConnections: 10 };
const E2E = { warmup: 20, count: 200, gapMs: 10, timeoutMs: 5000 };
const RSS = { events: 100_000, connections: 50 };
const SEARCH = { signed: 2_000, deliveries: 100_000, connections: 16, viewers: 8, rate: 50, durationS: 5, eventsPerMinute: 50 };
const EVENTS_PER_MINUTE = 100_000;
const AIMS = {
  searchAckP99Ms: 20,
  throughputRatio: 0.5,
  durableRatio: 0.8,
  ackP99Ms: 10,
  e2eP50Ms: 20,
  rssBytes: 150e6,
  stormFlatness: 0.8,
  statusMs: 5,
  dashboardLoadMs: 1000,
  tabSwitchMs: 300,
  heapBytes: 100e6,
};

// ---- bookkeeping ------------------------------------------------------------------------------

/** Things that went wrong: any of them makes the exit code non-zero. */
const problems: string[] = [];
const results: Record<string, unknown> = {};

const fmtInt = (value: number) => Math.round(value).toLocaleString('en-US');
const fmtMs = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : 'n/a');
const fmtMB = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : `${(bytes / 1e6).toFixed(1)} MB`);
const fmtPct = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? 'n/a' : `${Math.round(value)}%`);
const fmtTimes = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)}×` : 'n/a');
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function log(line = ''): void {
  console.log(line);
}

/** Records a problem for every non-2xx status, connection error and timeout of a run. */
function checkStatuses(what: string, statuses: Record<string, number>, errors: number, timeouts: number, expected: readonly number[]): void {
  for (const [code, count] of Object.entries(statuses)) {
    if (!expected.includes(Number(code))) problems.push(`${what}: ${fmtInt(count)} answer(s) with HTTP ${code} (expected ${expected.join(' or ')})`);
  }
  if (errors - timeouts > 0) problems.push(`${what}: ${fmtInt(errors - timeouts)} connection error(s)`);
  if (timeouts > 0) problems.push(`${what}: ${fmtInt(timeouts)} request(s) timed out`);
}

function checkLoad(what: string, result: LoadResult, expected: readonly number[]): void {
  checkStatuses(what, result.statuses, result.errors, result.timeouts, expected);
}

function checkPaced(what: string, result: PacedResult, expected: readonly number[]): void {
  checkStatuses(what, result.statuses, 0, 0, expected);
  if (result.errors.length > 0) problems.push(`${what}: ${result.errors.length} request error(s), first: ${result.errors[0]}`);
}

/** Stops a child and records it as a problem when it does not exit cleanly or logged an error. */
async function stop(child: BenchChild): Promise<void> {
  const { code, killed } = await stopChild(child);
  if (killed) problems.push(`${child.name}: did not exit within 10 s of SIGTERM, killed`);
  else if (code !== 0) problems.push(`${child.name}: exited with code ${code}\n${child.output().trim()}`);
  const errorLines = child
    .output()
    .split('\n')
    .filter((line) => /^(receiver|forwarder|level-ilert-relay: could not)|Error|error:/.test(line));
  if (errorLines.length > 0) problems.push(`${child.name}: logged errors:\n    ${errorLines.slice(0, 5).join('\n    ')}`);
}

/** Rows in the relay's events table, read through a second (read-only) connection. */
function storedEvents(child: BenchChild): number {
  const db = new DatabaseSync(path.join(child.dataDir!, DATABASE_FILE), { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const deviceBody = (n: number) => signEvent(SECRET, deviceUpdatedEvent(n));

// ---- 1. alert storm ---------------------------------------------------------------------------

const SEVERITIES = ['critical', 'warning', 'information', 'emergency'] as const;
const alertBody = (n: number) => signEvent(SECRET, alertEvent({ severity: SEVERITIES[n % SEVERITIES.length], hostname: `WS-${n % 500}`, name: `Storm check ${n % 40}` }));

/** One getStatus through the admin API; returns its latency and the queue depth it reports. */
async function getStatus(agent: http.Agent, adminUrl: string): Promise<{ ms: number; queueDepth: number }> {
  const url = new URL(adminUrl);
  const token = url.searchParams.get('token') ?? '';
  const started = performance.now();
  const answer = await post(agent, `${url.origin}/api/getStatus`, '{}', { authorization: `Bearer ${token}` });
  const ms = performance.now() - started;
  if (answer.status !== 200) throw new Error(`getStatus answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return { ms, queueDepth: (JSON.parse(answer.text) as { queueDepth: number }).queueDepth };
}

interface StormRound {
  round: number;
  reqPerSec: number;
  ratio: number;
  p50: number;
  p99: number;
  backlogAfter: number;
}

async function storm(fake: FakeIlert): Promise<void> {
  const { roundS, backlog, maxRounds, eventsPerMinute, statusCalls } = STORM;
  log(`[1] Alert storm: distinct signed alert_active bodies, ${roundS} s rounds until the backlog passes ${fmtInt(backlog)}, ILERT_EVENTS_PER_MINUTE=${eventsPerMinute}`);
  const figures: Record<string, unknown> = {};
  let offset = 0;
  for (const connections of STORM.connections) {
    const barePool = new BodyPool(20_000, alertBody, { wrap: true });
    const bare = await startBareChild(`bare server (storm, ${connections} connections)`);
    let bareRun: LoadResult;
    try {
      await runAutocannon({ url: bare.url, pool: barePool, connections, durationS: 1 });
      bareRun = await runAutocannon({ url: bare.url, pool: barePool, connections, durationS: roundS, recordLatencies: true });
    } finally {
      await stop(bare);
    }
    checkLoad(`storm, bare server, ${connections} connections`, bareRun, [202]);
    const bareRate = bareRun.ok2xx / bareRun.durationS;
    const bareLatency = summarize(bareRun.latencies);
    log(`  ${connections} connections — bare node:http: ${fmtInt(bareRate)} req/s, ack p50 ${fmtMs(bareLatency.p50)} p99 ${fmtMs(bareLatency.p99)}`);
    const durable = await bareDurableStorm(connections, offset);
    offset += durable.used;
    log(
      `  ${connections} connections — bare durable (HMAC, one INSERT, group commit, then 202): ${fmtInt(durable.rate)} req/s, ack p50 ${fmtMs(durable.latency.p50)} p99 ${fmtMs(durable.latency.p99)}`,
    );

    const relay = await startRelayChild(`relay (storm, ${connections} connections)`, { ilertApiUrl: fake.url, eventsPerMinute });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const rounds: StormRound[] = [];
    let status: { p50: number; p99: number; max: number; queueDepth: number } | undefined;
    try {
      // Bodies are signed before each round (1.5× the last round's count), so the load generator sends rather than hashes.
      let estimate = 30_000;
      for (let round = 1; round <= maxRounds; round++) {
        const base = offset;
        const pool = new BodyPool(Math.ceil(estimate * 1.5), (n) => alertBody(base + n));
        const meter = new CpuMeter([relay.pid]);
        const run = await runAutocannon({ url: relay.url, pool, connections, durationS: roundS, recordLatencies: true });
        const cpu = meter.stop();
        offset += pool.used;
        estimate = Math.max(run.ok2xx, 5_000);
        checkLoad(`storm, relay, ${connections} connections, round ${round}`, run, [202]);
        const { queueDepth } = await getStatus(agent, relay.adminUrl!);
        const rate = run.ok2xx / run.durationS;
        const latency = summarize(run.latencies);
        rounds.push({ round, reqPerSec: rate, ratio: rate / bareRate, p50: latency.p50, p99: latency.p99, backlogAfter: queueDepth });
        log(
          `    round ${String(round).padStart(2)}: ${fmtInt(rate).padStart(6)} req/s (${fmtPct((rate / bareRate) * 100)} of bare), ack p50 ${fmtMs(latency.p50)} p99 ${fmtMs(latency.p99)}, ` +
            `backlog ${fmtInt(queueDepth)}; relay CPU ${fmtPct(cpu.children[0])}, other processes ${fmtPct(cpu.others)}${pool.signedOnTheFly ? `; ${fmtInt(pool.signedOnTheFly)} bodies signed during the round` : ''}`,
        );
        if (queueDepth >= backlog) break;
      }
      // getStatus with that backlog (and every delivery of the storm stored), as the tray and dashboards call it.
      const times: number[] = [];
      let queueDepth = 0;
      for (let call = 0; call < statusCalls; call++) {
        const answer = await getStatus(agent, relay.adminUrl!);
        times.push(answer.ms);
        queueDepth = answer.queueDepth;
      }
      const summary = summarize(times);
      status = { p50: summary.p50, p99: summary.p99, max: summary.max, queueDepth };
    } finally {
      agent.destroy();
      await stop(relay);
    }
    const rates = rounds.map((round) => round.reqPerSec);
    const flatness = Math.min(...rates) / Math.max(...rates);
    const meanRatio = rates.reduce((sum, rate) => sum + rate, 0) / rates.length / bareRate;
    const worstP99 = Math.max(...rounds.map((round) => round.p99));
    const durableRatio = rates.reduce((sum, rate) => sum + rate, 0) / rates.length / durable.rate;
    log(
      `    → mean ${fmtPct(durableRatio * 100)} of bare durable (aim ≥ ${AIMS.durableRatio * 100}%) ${verdict(durableRatio >= AIMS.durableRatio)}; bare durable is ${fmtPct((durable.rate / bareRate) * 100)} of bare`,
    );
    log(
      `    → mean ${fmtPct(meanRatio * 100)} of bare (aim ≥ ${AIMS.throughputRatio * 100}%) ${verdict(meanRatio >= AIMS.throughputRatio)}; slowest round ${fmtPct(flatness * 100)} of the fastest (aim ≥ ${AIMS.stormFlatness * 100}%) ${verdict(flatness >= AIMS.stormFlatness)}; worst round p99 ${fmtMs(worstP99)}${connections === 16 ? ` (aim < ${AIMS.ackP99Ms} ms) ${verdict(worstP99 < AIMS.ackP99Ms)}` : ''}`,
    );
    if (status) {
      log(
        `    → getStatus over the admin API with a backlog of ${fmtInt(status.queueDepth)}: p50 ${fmtMs(status.p50)}, p99 ${fmtMs(status.p99)}, max ${fmtMs(status.max)} (aim < ${AIMS.statusMs} ms) ${verdict(status.p50 < AIMS.statusMs)}`,
      );
    }
    figures[String(connections)] = {
      connections,
      baseline: { reqPerSec: bareRate, p50: bareLatency.p50, p99: bareLatency.p99 },
      bareDurable: { reqPerSec: durable.rate, p50: durable.latency.p50, p99: durable.latency.p99 },
      durableRatio,
      rounds,
      meanRatio,
      flatness,
      worstP99,
      getStatus: status,
    };
  }
  log();
  results.storm = { eventType: 'alert_active', eventsPerMinute: STORM.eventsPerMinute, roundS, figures };
}

/**
 * The least a durable acknowledgement costs on this stack (bench/bare-durable-server.js), with the
 * same distinct signed bodies the relay gets: every one is checked and stored.
 */
async function bareDurableStorm(connections: number, offset: number): Promise<{ rate: number; latency: ReturnType<typeof summarize>; used: number }> {
  const pool = new BodyPool(STORM.durableBodies, (n) => alertBody(offset + n));
  const server = await startBareChild(`bare durable server (storm, ${connections} connections)`, { durable: true });
  let run: LoadResult;
  try {
    await runAutocannon({ url: server.url, pool, connections, durationS: 1 });
    run = await runAutocannon({ url: server.url, pool, connections, durationS: STORM.roundS, recordLatencies: true });
  } finally {
    await stop(server);
  }
  checkLoad(`storm, bare durable server, ${connections} connections`, run, [202]);
  return { rate: run.ok2xx / run.durationS, latency: summarize(run.latencies), used: pool.used };
}

// ---- 1b. throughput ---------------------------------------------------------------------------

async function throughput(fake: FakeIlert): Promise<void> {
  const { connections, warmupS, durationS } = THROUGHPUT;
  log(`[1b] Throughput: autocannon, ${connections} connections, ${durationS} s (after a ${warmupS} s warm-up), signed device_updated events`);

  // The bare server ignores what it gets: a pool that starts over is the same load, without the memory.
  const barePool = new BodyPool(20_000, deviceBody, { wrap: true });
  const bare = await startBareChild('bare server (throughput)');
  let bareRun: LoadResult;
  let bareCpu: CpuShares;
  try {
    await runAutocannon({ url: bare.url, pool: barePool, connections, durationS: warmupS });
    const meter = new CpuMeter([bare.pid]);
    bareRun = await runAutocannon({ url: bare.url, pool: barePool, connections, durationS });
    bareCpu = meter.stop();
  } finally {
    await stop(bare);
  }
  checkLoad('throughput, bare server', bareRun, [202]);
  const bareRate = bareRun.ok2xx / bareRun.durationS;
  log(
    `  bare node:http:  ${fmtInt(bareRate)} req/s  (${fmtInt(bareRun.ok2xx)} × 2xx in ${bareRun.durationS.toFixed(1)} s; server CPU ${fmtPct(bareCpu.children[0])} of a core, load generator ${fmtPct(bareCpu.self)}, other processes ${fmtPct(bareCpu.others)})`,
  );

  const relay = await startRelayChild('relay (throughput)', { ilertApiUrl: fake.url, eventsPerMinute: EVENTS_PER_MINUTE });
  let relayRun: LoadResult;
  let relayCpu: CpuShares;
  let pool: BodyPool;
  let warmAccepted: number;
  let stored: number;
  let io: { wchar: number; syscw: number; rchar: number; syscr: number } | undefined;
  try {
    const warmPool = new BodyPool(0, deviceBody);
    const warm = await runAutocannon({ url: relay.url, pool: warmPool, connections, durationS: warmupS });
    checkLoad('throughput warm-up, relay', warm, [202]);
    warmAccepted = warm.ok2xx;
    // Sign every body of the measured run beforehand: 1.5× what the warm-up rate suggests.
    const estimate = warm.ok2xx / warm.durationS;
    const size = Math.min(400_000, Math.max(20_000, Math.ceil(estimate * durationS * 1.5)));
    pool = new BodyPool(size, (n) => deviceBody(n + warmPool.used));
    const meter = new CpuMeter([relay.pid]);
    const ioBefore = readIo(relay.pid);
    relayRun = await runAutocannon({ url: relay.url, pool, connections, durationS });
    relayCpu = meter.stop();
    const ioAfter = readIo(relay.pid);
    if (ioBefore && ioAfter) {
      io = { wchar: ioAfter.wchar - ioBefore.wchar, syscw: ioAfter.syscw - ioBefore.syscw, rchar: ioAfter.rchar - ioBefore.rchar, syscr: ioAfter.syscr - ioBefore.syscr };
    }
    await sleep(200);
    stored = storedEvents(relay);
  } finally {
    await stop(relay);
  }
  checkLoad('throughput, relay', relayRun, [202]);
  if (stored < warmAccepted + relayRun.ok2xx) {
    problems.push(`throughput, relay: ${fmtInt(warmAccepted + relayRun.ok2xx)} deliveries acknowledged but only ${fmtInt(stored)} events stored`);
  }
  const relayRate = relayRun.ok2xx / relayRun.durationS;
  const ratio = relayRate / bareRate;
  log(
    `  relay:           ${fmtInt(relayRate)} req/s  (${fmtInt(relayRun.ok2xx)} × 202 in ${relayRun.durationS.toFixed(1)} s; relay CPU ${fmtPct(relayCpu.children[0])} of a core, load generator ${fmtPct(relayCpu.self)}, other processes ${fmtPct(relayCpu.others)}; ${fmtInt(stored)} events stored in total)`,
  );
  log(`  bodies: ${fmtInt(pool.size)} pre-signed before the run, ${fmtInt(pool.signedOnTheFly)} signed during it`);
  if (io) {
    // Socket traffic counts too, but it is small next to SQLite's page writes (4 KiB per WAL frame).
    const perEvent = (value: number) => (relayRun.ok2xx > 0 ? value / relayRun.ok2xx : NaN);
    log(
      `  relay I/O per accepted delivery: ${(perEvent(io.wchar) / 1024).toFixed(1)} KiB written in ${perEvent(io.syscw).toFixed(1)} write calls, ` +
        `${(perEvent(io.rchar) / 1024).toFixed(1)} KiB read in ${perEvent(io.syscr).toFixed(1)} read calls (sockets and SQLite together)`,
    );
  }
  log(`  → ratio ${fmtPct(ratio * 100)} of the ceiling (aim ≥ ${AIMS.throughputRatio * 100}%) ${verdict(ratio >= AIMS.throughputRatio)}`);
  log();
  results.throughput = {
    eventType: 'device_updated',
    connections,
    durationS,
    relay: {
      reqPerSec: relayRate,
      accepted: relayRun.ok2xx,
      durationS: relayRun.durationS,
      statuses: relayRun.statuses,
      errors: relayRun.errors,
      timeouts: relayRun.timeouts,
      cpuPercentOfCore: relayCpu.children[0],
      loadGeneratorCpuPercent: relayCpu.self,
      otherProcessesCpuPercent: relayCpu.others,
      preSignedBodies: pool.size,
      signedOnTheFly: pool.signedOnTheFly,
      storedEvents: stored,
      io,
    },
    baseline: {
      reqPerSec: bareRate,
      accepted: bareRun.ok2xx,
      durationS: bareRun.durationS,
      statuses: bareRun.statuses,
      errors: bareRun.errors,
      cpuPercentOfCore: bareCpu.children[0],
      loadGeneratorCpuPercent: bareCpu.self,
      otherProcessesCpuPercent: bareCpu.others,
    },
    ratio,
    aim: `ratio >= ${AIMS.throughputRatio}`,
    met: ratio >= AIMS.throughputRatio,
  };
}

// ---- 2. ack latency at a steady rate ----------------------------------------------------------

interface LatencySide {
  paced: ReturnType<typeof summarize> & { statuses: Record<string, number>; scheduleLagP99Ms: number; elapsedS: number; otherProcessesCpuPercent: number | undefined };
  autocannon: ReturnType<typeof summarize> & { statuses: Record<string, number>; durationS: number };
}

async function measureLatency(name: string, child: BenchChild, expected: readonly number[], offset: number): Promise<LatencySide> {
  const { rate, warmupS, durationS, autocannonDurationS, autocannonConnections } = LATENCY;
  const total = Math.round(rate * (warmupS + durationS));
  const bodies: SignedBody[] = [];
  for (let index = 0; index < total; index++) bodies.push(deviceBody(offset + index));
  const warm = await runPaced({ url: child.url, rate, durationS: warmupS, bodies: bodies.slice(0, rate * warmupS) });
  checkPaced(`ack latency warm-up, ${name}`, warm, expected);
  const meter = new CpuMeter([child.pid]);
  const paced = await runPaced({ url: child.url, rate, durationS, bodies: bodies.slice(rate * warmupS) });
  const cpu = meter.stop();
  checkPaced(`ack latency, ${name}`, paced, expected);
  const pool = new BodyPool(rate * autocannonDurationS + 1000, (n) => deviceBody(offset + total + n));
  const burst = await runAutocannon({
    url: child.url,
    pool,
    connections: autocannonConnections,
    overallRate: rate,
    durationS: autocannonDurationS,
    recordLatencies: true,
  });
  checkLoad(`ack latency (autocannon overallRate), ${name}`, burst, expected);
  return {
    paced: { ...summarize(paced.latencies), statuses: paced.statuses, scheduleLagP99Ms: paced.scheduleLagP99Ms, elapsedS: paced.elapsedS, otherProcessesCpuPercent: cpu.others },
    autocannon: { ...summarize(burst.latencies), statuses: burst.statuses, durationS: burst.durationS },
  };
}

async function ackLatency(fake: FakeIlert): Promise<void> {
  const { rate, durationS, autocannonDurationS, autocannonConnections } = LATENCY;
  log(`[2] Ack latency at ${rate} req/s: open-loop paced sender, ${durationS} s (after a ${LATENCY.warmupS} s warm-up), signed device_updated events`);
  const bare = await startBareChild('bare server (latency)');
  let bareSide: LatencySide;
  try {
    bareSide = await measureLatency('bare server', bare, [202], 0);
  } finally {
    await stop(bare);
  }
  const relay = await startRelayChild('relay (latency)', { ilertApiUrl: fake.url, eventsPerMinute: EVENTS_PER_MINUTE });
  let relaySide: LatencySide;
  try {
    relaySide = await measureLatency('relay', relay, [202], 1_000_000);
  } finally {
    await stop(relay);
  }
  const line = (label: string, side: LatencySide['paced']) =>
    `  ${label} p50 ${fmtMs(side.p50)}  p90 ${fmtMs(side.p90)}  p99 ${fmtMs(side.p99)}  max ${fmtMs(side.max)}  (${fmtInt(side.count)} requests; sender lag p99 ${fmtMs(side.scheduleLagP99Ms)}, other processes ${fmtPct(side.otherProcessesCpuPercent)} of a core)`;
  log(line('bare node:http:', bareSide.paced));
  log(line('relay:         ', relaySide.paced));
  const ratio = relaySide.paced.p99 / bareSide.paced.p99;
  const met = relaySide.paced.p99 < AIMS.ackP99Ms;
  log(`  → relay p99 ${fmtMs(relaySide.paced.p99)} = ${fmtTimes(ratio)} the bare server's (aim p99 < ${AIMS.ackP99Ms} ms) ${verdict(met)}`);
  log(
    `  cross-check, autocannon overallRate ${rate} (${autocannonConnections} connections, ${autocannonDurationS} s; sends each second's quota in a burst): ` +
      `relay p50 ${fmtMs(relaySide.autocannon.p50)} p99 ${fmtMs(relaySide.autocannon.p99)}, bare p50 ${fmtMs(bareSide.autocannon.p50)} p99 ${fmtMs(bareSide.autocannon.p99)}`,
  );
  log();
  results.ackLatency = {
    eventType: 'device_updated',
    rate,
    durationS,
    method: 'open-loop paced sender (node:http keep-alive), latency from write to complete answer',
    relay: relaySide,
    baseline: bareSide,
    ratioP99: ratio,
    aim: `p99 < ${AIMS.ackP99Ms} ms`,
    met,
  };
}

// ---- 3. Level in → ilert out ------------------------------------------------------------------

async function endToEnd(fake: FakeIlert): Promise<void> {
  const { warmup, count, gapMs, timeoutMs } = E2E;
  log(`[3] Level-in → ilert-out: ${count} signed alert_active webhooks one at a time (after ${warmup} warm-up), ${gapMs} ms apart, ILERT_EVENTS_PER_MINUTE=${EVENTS_PER_MINUTE}`);

  // Baseline: one POST of the same ilert event straight to the fake, with fetch like the forwarder.
  const direct: number[] = [];
  for (let index = 0; index < warmup + count; index++) {
    const alert = alertEvent({ alertId: `bench-direct-${index}` });
    const body = toIlertEvent(alert.data as LevelAlert, false, {
      eventId: String(alert.event_id),
      occurredAt: String(alert.occurred_at),
      highPrioritySeverities: ['critical', 'emergency'],
    });
    const wire = JSON.stringify({ integrationKey: INTEGRATION_KEY, ...body });
    const started = performance.now();
    const response = await fetch(`${fake.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'level-ilert-relay' },
      body: wire,
    });
    await response.arrayBuffer();
    if (index >= warmup) direct.push(performance.now() - started);
    if (response.status !== 202) problems.push(`direct POST to the fake ilert: HTTP ${response.status}`);
  }
  const directStats = summarize(direct);

  const relay = await startRelayChild('relay (end-to-end)', { ilertApiUrl: fake.url, eventsPerMinute: EVENTS_PER_MINUTE });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const endToEndMs: number[] = [];
  const ackMs: number[] = [];
  const runTag = Date.now().toString(36);
  try {
    for (let index = 0; index < warmup + count; index++) {
      const alertId = `bench-${runTag}-${index}`;
      const alertKey = `level-alert-${alertId}`;
      const signed = signEvent(SECRET, alertEvent({ alertId }));
      let scanned = fake.events.length;
      let receivedAt = NaN;
      const arrived = fake.waitFor(
        () => {
          for (; scanned < fake.events.length; scanned++) {
            if (fake.events[scanned]!.alertKey === alertKey) {
              receivedAt = performance.now();
              return true;
            }
          }
          return false;
        },
        timeoutMs,
        `the ilert event for ${alertKey}`,
      );
      arrived.catch(() => undefined);
      const sentAt = performance.now();
      const answer = await post(agent, relay.url, signed.body, signedHeaders(signed));
      const ackedAt = performance.now();
      if (answer.status !== 202) {
        problems.push(`end-to-end: the relay answered HTTP ${answer.status}: ${answer.text}`);
        break;
      }
      try {
        await arrived;
      } catch (error) {
        problems.push(`end-to-end: ${(error as Error).message}`);
        break;
      }
      if (index >= warmup) {
        endToEndMs.push(receivedAt - sentAt);
        ackMs.push(ackedAt - sentAt);
      }
      await sleep(gapMs);
    }
  } finally {
    agent.destroy();
    await stop(relay);
  }
  if (fake.schemaViolations.length > 0)
    problems.push(`fake ilert: ${fake.schemaViolations.length} event(s) violated ilert's schema: ${fake.schemaViolations[0]!.errors.join('; ')}`);
  if (fake.rateLimited.length > 0) problems.push(`fake ilert: answered 429 ${fake.rateLimited.length} time(s)`);
  const e2e = summarize(endToEndMs);
  const ack = summarize(ackMs);
  const ratio = e2e.p50 / directStats.p50;
  const met = e2e.p50 < AIMS.e2eP50Ms;
  log(`  direct POST to the fake ilert (fetch): p50 ${fmtMs(directStats.p50)}  p99 ${fmtMs(directStats.p99)}`);
  log(`  relay, webhook sent → ilert event received: p50 ${fmtMs(e2e.p50)}  p90 ${fmtMs(e2e.p90)}  p99 ${fmtMs(e2e.p99)}  max ${fmtMs(e2e.max)}  (${e2e.count} events)`);
  log(`  relay, webhook sent → 202 received:         p50 ${fmtMs(ack.p50)}  p99 ${fmtMs(ack.p99)}`);
  log(`  → p50 ${fmtMs(e2e.p50)} = ${fmtTimes(ratio)} one direct POST (aim p50 < ${AIMS.e2eP50Ms} ms) ${verdict(met)}`);
  log();
  results.endToEnd = {
    eventType: 'alert_active',
    count: e2e.count,
    gapMs,
    eventsPerMinute: EVENTS_PER_MINUTE,
    relay: { webhookToIlert: e2e, webhookToAck: ack },
    baseline: { directPostToFakeIlert: directStats },
    ratioP50: ratio,
    aim: `p50 < ${AIMS.e2eP50Ms} ms`,
    met,
  };
}

// ---- 4. memory ------------------------------------------------------------------------------

async function memory(fake: FakeIlert): Promise<void> {
  const { events, connections } = RSS;
  log(`[4] RSS: idle after start, then after ${fmtInt(events)} signed device_updated events sent by autocannon (${connections} connections) as fast as they go`);

  const barePool = new BodyPool(20_000, deviceBody, { wrap: true });
  const bare = await startBareChild('bare server (memory)');
  let bareIdle: ReturnType<typeof readRss>;
  let bareAfter: ReturnType<typeof readRss>;
  try {
    await sleep(500);
    bareIdle = readRss(bare.pid);
    const run = await runAutocannon({ url: bare.url, pool: barePool, connections, amount: events });
    checkLoad('memory load, bare server', run, [202]);
    await sleep(1000);
    bareAfter = readRss(bare.pid);
  } finally {
    await stop(bare);
  }

  // Signed before the relay starts, so nothing else runs while it is idle.
  const pool = new BodyPool(events, (n) => deviceBody(2_000_000 + n));
  const relay = await startRelayChild('relay (memory)', { ilertApiUrl: fake.url, eventsPerMinute: EVENTS_PER_MINUTE });
  let relayIdle: ReturnType<typeof readRss>;
  let relayAfter: ReturnType<typeof readRss>;
  let stored: number;
  let loadS: number;
  let diskBytes: number;
  try {
    await sleep(500);
    relayIdle = readRss(relay.pid);
    const run = await runAutocannon({ url: relay.url, pool, connections, amount: events });
    checkLoad('memory load, relay', run, [202]);
    loadS = run.durationS;
    // Every 202 was sent after its commit; still, wait until all of them are visible to a reader.
    const deadline = Date.now() + 30_000;
    while ((stored = storedEvents(relay)) < run.ok2xx && Date.now() < deadline) await sleep(200);
    if (stored < run.ok2xx) problems.push(`memory: ${fmtInt(run.ok2xx)} deliveries acknowledged but only ${fmtInt(stored)} events stored after 30 s`);
    await sleep(1000);
    relayAfter = readRss(relay.pid);
    diskBytes = dirBytes(relay.dataDir!);
  } finally {
    await stop(relay);
  }
  if (!relayIdle || !relayAfter || !bareIdle || !bareAfter) problems.push('memory: could not read /proc/<pid>/status');
  const ratio = (relayAfter?.rss ?? NaN) / (bareAfter?.rss ?? NaN);
  const met = (relayAfter?.rss ?? Infinity) < AIMS.rssBytes;
  log(`  bare node:http: idle ${fmtMB(bareIdle?.rss)}, after ${fmtInt(events)} requests ${fmtMB(bareAfter?.rss)} (peak ${fmtMB(bareAfter?.peak)})`);
  log(
    `  relay:          idle ${fmtMB(relayIdle?.rss)}, after ${fmtInt(stored)} stored events ${fmtMB(relayAfter?.rss)} (peak ${fmtMB(relayAfter?.peak)}; load took ${loadS.toFixed(1)} s; data directory ${fmtMB(diskBytes)})`,
  );
  log(`  → ${fmtTimes(ratio)} the bare server's RSS (aim < ${fmtMB(AIMS.rssBytes)}) ${verdict(met)}`);
  log();
  results.rss = {
    eventType: 'device_updated',
    events,
    relay: { idleBytes: relayIdle?.rss, afterBytes: relayAfter?.rss, peakBytes: relayAfter?.peak, storedEvents: stored, loadDurationS: loadS, dataDirBytes: diskBytes },
    baseline: { idleBytes: bareIdle?.rss, afterBytes: bareAfter?.rss, peakBytes: bareAfter?.peak },
    ratio,
    aim: `RSS after load < ${AIMS.rssBytes / 1e6} MB`,
    met,
  };
}

// ---- 6. searches beside acknowledgements ------------------------------------------------------

/** Viewers searching the delivery log through the admin API, each as soon as its last answer came, until `until` resolves. */
async function searchLoop(adminUrl: string, viewers: number, until: Promise<unknown>): Promise<{ latencies: number[]; failures: string[] }> {
  const url = new URL(adminUrl);
  const headers = { authorization: `Bearer ${url.searchParams.get('token') ?? ''}` };
  const agent = new http.Agent({ keepAlive: true, maxSockets: viewers });
  let done = false;
  void until.then(() => (done = true));
  const latencies: number[] = [];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: viewers }, async (_, viewer) => {
      for (let round = 0; !done; round++) {
        const body = JSON.stringify({ filter: { search: `WS-${(viewer * 61 + round) % 500}` }, limit: 100 });
        const started = performance.now();
        try {
          const answer = await post(agent, `${url.origin}/api/listDeliveries`, body, headers, 60_000);
          if (answer.status === 200) latencies.push(performance.now() - started);
          else failures.push(`${answer.status}: ${answer.text.slice(0, 200)}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }),
  );
  agent.destroy();
  return { latencies, failures };
}

/**
 * Copies the stored deliveries until there are `total`, each copy on another of 500 hosts: a log as
 * long as a busy relay's, written in seconds (only its length matters to a search; the copies have
 * no ilert work). The relay must be stopped.
 */
function lengthenDeliveryLog(dataDir: string, total: number): number {
  const db = new DatabaseSync(path.join(dataDir, DATABASE_FILE));
  try {
    const columns = (db.prepare('PRAGMA table_info(deliveries)').all() as { name: string }[]).map((column) => column.name).filter((name) => name !== 'id');
    const have = (db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n;
    const copies = Math.ceil((total - have) / have);
    const values = columns.map((name) => (name === 'hostname' ? `'WS-' || ((d.id * 7 + n.i) % 500)` : `d.${name}`));
    db.exec('BEGIN');
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO deliveries (${columns.join(', ')}) SELECT ${values.join(', ')} FROM deliveries d, n ORDER BY n.i, d.id LIMIT ?`,
    ).run(copies, total - have);
    db.exec('COMMIT');
    return (db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function searchWhileAcking(fake: FakeIlert): Promise<void> {
  const { signed, deliveries, connections, viewers, rate, durationS, eventsPerMinute } = SEARCH;
  log(
    `[6] Ack latency at ${rate} req/s (${durationS} s, device_updated) on a log of ${fmtInt(deliveries)} deliveries (${fmtInt(signed)} signed alerts, copied): no viewer, then ${viewers} viewers searching it in a loop`,
  );
  const pool = new BodyPool(signed, (n) => alertBody(3_000_000 + n));
  const filling = await startRelayChild('relay (search, filling)', { ilertApiUrl: fake.url, eventsPerMinute });
  try {
    const fill = await runAutocannon({ url: filling.url, pool, connections, amount: signed });
    checkLoad('search: filling the store', fill, [202]);
  } finally {
    await stop(filling);
  }
  const stored = lengthenDeliveryLog(filling.dataDir!, deliveries);
  const relay = await startRelayChild('relay (search)', { ilertApiUrl: fake.url, eventsPerMinute, dataDir: filling.dataDir });
  let quiet: ReturnType<typeof summarize>;
  let busy: ReturnType<typeof summarize>;
  let searches: Awaited<ReturnType<typeof searchLoop>>;
  try {
    const bodies = (offset: number) => Array.from({ length: rate * durationS }, (_, index) => deviceBody(4_000_000 + offset + index));
    const alone = await runPaced({ url: relay.url, rate, durationS, bodies: bodies(0) });
    checkPaced('search: acks without viewers', alone, [202]);
    quiet = summarize(alone.latencies);
    const acks = runPaced({ url: relay.url, rate, durationS, bodies: bodies(rate * durationS) });
    searches = await searchLoop(relay.adminUrl!, viewers, acks);
    const beside = await acks;
    checkPaced('search: acks beside viewers', beside, [202]);
    busy = summarize(beside.latencies);
    if (searches.failures.length > 0) problems.push(`search: ${searches.failures.length} search(es) failed, first: ${searches.failures[0]}`);
  } finally {
    await stop(relay);
  }
  const searchLatency = summarize(searches.latencies);
  const met = busy.p99 < AIMS.searchAckP99Ms;
  log(`  deliveries stored: ${fmtInt(stored)}`);
  log(`  acks, no viewer:        p50 ${fmtMs(quiet.p50)}  p99 ${fmtMs(quiet.p99)}  max ${fmtMs(quiet.max)}`);
  log(`  acks, ${viewers} viewers searching: p50 ${fmtMs(busy.p50)}  p99 ${fmtMs(busy.p99)}  max ${fmtMs(busy.max)}`);
  log(`  searches: ${fmtInt(searchLatency.count)} while the acks ran, p50 ${fmtMs(searchLatency.p50)}  p99 ${fmtMs(searchLatency.p99)}`);
  log(`  → ack p99 beside searches ${fmtMs(busy.p99)} (aim < ${AIMS.searchAckP99Ms} ms) ${verdict(met)}`);
  log();
  results.search = {
    deliveries: stored,
    viewers,
    rate,
    durationS,
    acksAlone: quiet,
    acksBesideSearches: busy,
    searches: searchLatency,
    aim: `ack p99 < ${AIMS.searchAckP99Ms} ms beside searches`,
    met,
  };
}

// ---- 5. the dashboard in a storm --------------------------------------------------------------

async function dashboard(fake: FakeIlert): Promise<void> {
  const { alerts, connections, tabSwitches } = DASHBOARD;
  log(`[5] Dashboard with ${fmtInt(alerts)} active alerts (storm names on many devices), Debian's Chromium: load, tab switch, page heap`);
  const relay = await startRelayChild('relay (dashboard)', { ilertApiUrl: fake.url, eventsPerMinute: STORM.eventsPerMinute });
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const pool = new BodyPool(alerts, (n) => alertBody(5_000_000 + n));
    const load = await runAutocannon({ url: relay.url, pool, connections, amount: alerts });
    checkLoad('dashboard, loading alerts', load, [202]);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const firstRow = '[data-testid="alert-row"], [data-testid="alert-group"]';
    const started = performance.now();
    await page.goto(relay.adminUrl!);
    await page.locator(firstRow).first().waitFor();
    const loadMs = performance.now() - started;
    const switches: number[] = [];
    for (let round = 0; round < tabSwitches; round++) {
      const toDeliveries = performance.now();
      await page.getByRole('tab', { name: 'Deliveries' }).click();
      await page.locator('[data-testid="delivery-list"] .drow').first().waitFor();
      switches.push(performance.now() - toDeliveries);
      const toAlerts = performance.now();
      await page.getByRole('tab', { name: 'Alerts' }).click();
      await page.locator(firstRow).first().waitFor();
      switches.push(performance.now() - toAlerts);
    }
    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize);
    const switchSummary = summarize(switches);
    log(`  first rows on screen ${fmtMs(loadMs)} (aim < ${AIMS.dashboardLoadMs} ms) ${verdict(loadMs < AIMS.dashboardLoadMs)}`);
    log(`  tab switch p50 ${fmtMs(switchSummary.p50)}, max ${fmtMs(switchSummary.max)} (aim < ${AIMS.tabSwitchMs} ms) ${verdict(switchSummary.max < AIMS.tabSwitchMs)}`);
    log(`  page JS heap ${fmtMB(heap)} (aim < ${fmtMB(AIMS.heapBytes)}) ${verdict((heap ?? Infinity) < AIMS.heapBytes)}`);
    log();
    results.dashboard = { alerts, loadMs, tabSwitch: switchSummary, heapBytes: heap };
    await context.close();
  } finally {
    await browser?.close();
    await stop(relay);
  }
}

// ---- summary ----------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const render = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [render(rows[0]!), rule, ...rows.slice(1).map(render)].join('\n');
}

function summary(): void {
  type Side = Record<string, number | undefined>;
  const t = results.throughput as { relay: Side; baseline: Side; ratio: number; met: boolean } | undefined;
  const l = results.ackLatency as { relay: { paced: Side }; baseline: { paced: Side }; ratioP99: number; met: boolean } | undefined;
  const e = results.endToEnd as { relay: { webhookToIlert: Side }; baseline: { directPostToFakeIlert: Side }; ratioP50: number; met: boolean } | undefined;
  const r = results.rss as { relay: Side; baseline: Side; ratio: number; met: boolean } | undefined;
  const rows = [['Figure', 'Relay', 'Baseline', 'Ratio', 'Aim', 'Result']];
  const s = results.storm as
    | {
        figures: Record<
          string,
          { meanRatio: number; durableRatio: number; flatness: number; worstP99: number; baseline: Side; bareDurable: Side; rounds: StormRound[]; getStatus?: Side }
        >;
      }
    | undefined;
  for (const [connections, figure] of Object.entries(s?.figures ?? {})) {
    const rates = figure.rounds.map((round) => round.reqPerSec);
    const last = figure.rounds.at(-1);
    rows.push([
      `1 Alert storm, ${connections} conn.`,
      `${fmtInt(Math.min(...rates))}–${fmtInt(Math.max(...rates))} req/s, p99 ≤ ${fmtMs(figure.worstP99)}, backlog ${fmtInt(last?.backlogAfter ?? 0)}`,
      `${fmtInt(figure.baseline.reqPerSec!)} req/s (bare)`,
      `${fmtPct(figure.meanRatio * 100)} (flat ${fmtPct(figure.flatness * 100)})`,
      `≥ ${AIMS.throughputRatio * 100}%, flat ≥ ${AIMS.stormFlatness * 100}%`,
      verdict(figure.meanRatio >= AIMS.throughputRatio && figure.flatness >= AIMS.stormFlatness),
    ]);
    rows.push([
      '  vs bare durable',
      '(same rounds)',
      `${fmtInt(figure.bareDurable.reqPerSec!)} req/s, p99 ${fmtMs(figure.bareDurable.p99!)}`,
      fmtPct(figure.durableRatio * 100),
      `≥ ${AIMS.durableRatio * 100}%`,
      verdict(figure.durableRatio >= AIMS.durableRatio),
    ]);
    if (figure.getStatus)
      rows.push([
        '  getStatus (that backlog)',
        `p50 ${fmtMs(figure.getStatus.p50!)}, p99 ${fmtMs(figure.getStatus.p99!)}`,
        '—',
        '—',
        `< ${AIMS.statusMs} ms`,
        verdict(figure.getStatus.p50! < AIMS.statusMs),
      ]);
  }
  if (t)
    rows.push([
      '1b Throughput (2xx/s)',
      `${fmtInt(t.relay.reqPerSec!)} req/s`,
      `${fmtInt(t.baseline.reqPerSec!)} req/s (bare)`,
      fmtPct(t.ratio * 100),
      `≥ ${AIMS.throughputRatio * 100}%`,
      verdict(t.met),
    ]);
  if (l) {
    rows.push([
      `2 Ack latency @${LATENCY.rate}/s`,
      `p50 ${fmtMs(l.relay.paced.p50!)}, p99 ${fmtMs(l.relay.paced.p99!)}`,
      `p50 ${fmtMs(l.baseline.paced.p50!)}, p99 ${fmtMs(l.baseline.paced.p99!)} (bare)`,
      `${fmtTimes(l.ratioP99)} (p99)`,
      `p99 < ${AIMS.ackP99Ms} ms`,
      verdict(l.met),
    ]);
  }
  if (e) {
    rows.push([
      '3 Level → ilert latency',
      `p50 ${fmtMs(e.relay.webhookToIlert.p50!)}, p99 ${fmtMs(e.relay.webhookToIlert.p99!)}`,
      `p50 ${fmtMs(e.baseline.directPostToFakeIlert.p50!)} (direct POST)`,
      `${fmtTimes(e.ratioP50)} (p50)`,
      `p50 < ${AIMS.e2eP50Ms} ms`,
      verdict(e.met),
    ]);
  }
  if (r) {
    rows.push([
      `4 RSS (idle → ${fmtInt(RSS.events / 1000)}k events)`,
      `${fmtMB(r.relay.idleBytes)} → ${fmtMB(r.relay.afterBytes)}`,
      `${fmtMB(r.baseline.idleBytes)} → ${fmtMB(r.baseline.afterBytes)} (bare)`,
      `${fmtTimes(r.ratio)} (after)`,
      `< ${fmtMB(AIMS.rssBytes)}`,
      verdict(r.met),
    ]);
  }
  const d = results.dashboard as { alerts: number; loadMs: number; tabSwitch: Side; heapBytes?: number } | undefined;
  if (d) {
    const met = d.loadMs < AIMS.dashboardLoadMs && d.tabSwitch.max! < AIMS.tabSwitchMs && (d.heapBytes ?? Infinity) < AIMS.heapBytes;
    rows.push([
      `5 Dashboard, ${fmtInt(d.alerts / 1000)}k alerts`,
      `load ${fmtMs(d.loadMs)}, tab ≤ ${fmtMs(d.tabSwitch.max!)}, heap ${fmtMB(d.heapBytes)}`,
      '—',
      '—',
      `< ${AIMS.dashboardLoadMs} ms, < ${AIMS.tabSwitchMs} ms, < ${fmtMB(AIMS.heapBytes)}`,
      verdict(met),
    ]);
  }
  const q = results.search as { acksAlone: Side; acksBesideSearches: Side; searches: Side; viewers: number; met: boolean } | undefined;
  if (q) {
    rows.push([
      `6 Acks beside ${q.viewers} searching viewers`,
      `p50 ${fmtMs(q.acksBesideSearches.p50!)}, p99 ${fmtMs(q.acksBesideSearches.p99!)}; search p50 ${fmtMs(q.searches.p50!)}`,
      `no viewer: p50 ${fmtMs(q.acksAlone.p50!)}, p99 ${fmtMs(q.acksAlone.p99!)}`,
      fmtTimes(q.acksBesideSearches.p99! / q.acksAlone.p99!),
      `p99 < ${AIMS.searchAckP99Ms} ms`,
      verdict(q.met),
    ]);
  }
  const quiet = results.quietCost as QuietCostResult | undefined;
  if (quiet) {
    rows.push([
      `7 Ingest, ${quiet.windows} windows + ${quiet.rules} rules`,
      `${quiet.quietMsPerAlert.toFixed(3)} ms CPU/alert (+${quiet.policyMicros.addedPerAlert.toFixed(1)} µs checks)`,
      `${quiet.plainMsPerAlert.toFixed(3)} ms (none)`,
      `${fmtTimes(quiet.ratio)} (+${(quiet.policyMicros.shareOfIngest * 100).toFixed(1)}% exact)`,
      '< 5% more',
      verdict(quiet.met),
    ]);
  }
  const p = results.processing as ProcessingResult | undefined;
  if (p) {
    const lagMet = p.sustained.maxLagMs < PROCESSING_AIMS.lagMs && p.sustained.sentRate >= p.sustained.targetRate * 0.95;
    rows.push([
      `8 Processing @${fmtInt(p.sustained.targetRate)}/s`,
      `sent ${fmtInt(p.sustained.sentRate)}/s, lag ≤ ${fmtMs(p.sustained.maxLagMs)}, drained ${fmtMs(p.sustained.drainMs)} after`,
      '—',
      `${fmtInt(p.sustained.appliedRate)} applied/s`,
      `lag < ${PROCESSING_AIMS.lagMs} ms`,
      verdict(lagMet),
    ]);
    const rssMet = (p.backlog.rssAfterApplied ?? Infinity) < PROCESSING_AIMS.rssBytes && (p.backlog.rssAfterRestartSettled ?? Infinity) < PROCESSING_AIMS.rssBytes;
    rows.push([
      `  ${fmtInt(p.backlog.queued / 1000)}k queued, restart`,
      `RSS ${fmtMB(p.backlog.rssAfterApplied)}; restart: first 202 ${fmtMs(p.backlog.restartToFirstAckMs)}, RSS ${fmtMB(p.backlog.rssAfterRestartSettled)}`,
      '—',
      '—',
      `< ${PROCESSING_AIMS.firstAckMs} ms, < ${fmtMB(PROCESSING_AIMS.rssBytes)}`,
      verdict(rssMet && p.backlog.restartToFirstAckMs < PROCESSING_AIMS.firstAckMs),
    ]);
  }
  log('Summary');
  log(table(rows));
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0]!;
  log(
    `Level → ilert relay benchmark — node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, ${os.platform()} ${os.arch()}, load average ${loadAtStart.toFixed(2)}`,
  );
  log(`relay: \`npm run serve\` as a child (data in a fresh dir under ${os.tmpdir()}); baseline: bench/bare-server.ts child (node:http, answers 202)`);
  log(`load generator: autocannon ${readAutocannonVersion()} and node:http in this process; everything on 127.0.0.1`);
  log();

  const fake = await new FakeIlert({ perKeyLimit: 1_000_000 }).start();
  const onSignal = () => {
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // BENCH_ONLY=storm,throughput,latency,e2e,rss,dashboard,search,quiet,processing runs a subset (e.g. to compare one change quickly).
    const only = process.env.BENCH_ONLY?.split(',');
    const figures: [string, (fake: FakeIlert) => Promise<void>][] = [
      ['storm', storm],
      ['throughput', throughput],
      ['latency', ackLatency],
      ['e2e', endToEnd],
      ['rss', memory],
      ['dashboard', dashboard],
      ['search', searchWhileAcking],
      ['quiet', async (fake) => void (results.quietCost = await quietCost(fake.url, { log, checkLoad, stop }))],
      ['processing', async (fake) => void (results.processing = await processingFigure(fake.url, { log, checkLoad, stop }))],
    ];
    for (const [name, figure] of figures) if (!only || only.includes(name)) await figure(fake);
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await fake.stop();
    await cleanupAll();
  }

  summary();
  const elapsedS = (performance.now() - started) / 1000;
  log(`(${elapsedS.toFixed(0)} s in total)`);

  const outDir = path.join(ROOT, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverageAtStart: loadAtStart,
    elapsedS,
    aims: AIMS,
    ...results,
    problems,
  };
  fs.writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}`);

  if (problems.length > 0) {
    log();
    log(`${problems.length} problem(s):`);
    for (const problem of problems) log(`  - ${problem}`);
    process.exitCode = 1;
  }
}

function readAutocannonVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

await main();
