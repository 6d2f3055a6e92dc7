/**
 * Figure 8 of `npm run bench` (`BENCH_ONLY=processing`): the second stage (issue 24). Acknowledged
 * deliveries are applied by the processor after the answer, so two questions the storm figure does
 * not answer:
 *   a. does processing keep up with a sustained rate? autocannon sends distinct signed alerts at a
 *      fixed overall rate; a read-only connection samples the processing lag (the age of the oldest
 *      delivery still 'received') four times a second, and after the send stops, how long the rest takes;
 *   b. memory and start-up with a deep backlog: 100,000 alerts acknowledged with ilert held to 50 per
 *      minute (so 100,000 jobs wait), RSS once all are applied, then a restart on the same data
 *      directory: the time from starting the process to the first 202, and RSS after start.
 */
import http from 'node:http';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DATABASE_FILE } from '../electron/core/store/database.ts';
import { SECRET } from '../tests/helpers/relay-harness.ts';
import { alertEvent } from '../tests/fakes/level-sender.ts';
import { post, runAutocannon, signedHeaders, type LoadResult } from './load.ts';
import { BodyPool, signEvent } from './payloads.ts';
import { readRss, startRelayChild, type BenchChild } from './processes.ts';

export const PROCESSING = { rate: 5_000, durationS: 6, connections: 32, sampleMs: 250, backlog: 100_000, backlogConnections: 50, eventsPerMinute: 50, drainTimeoutMs: 120_000 };
export const PROCESSING_AIMS = { lagMs: 1000, rssBytes: 150e6, firstAckMs: 2000 };

export interface ProcessingResult {
  sustained: { targetRate: number; sentRate: number; maxLagMs: number; drainMs: number; appliedRate: number };
  backlog: { queued: number; rssAfterApplied: number | undefined; restartToFirstAckMs: number; rssAfterRestart: number | undefined; rssAfterRestartSettled: number | undefined };
}

interface Helpers {
  log: (line?: string) => void;
  checkLoad: (what: string, result: LoadResult, expected: readonly number[]) => void;
  stop: (child: BenchChild) => Promise<void>;
}

const alertBody = (n: number) => signEvent(SECRET, alertEvent({ severity: n % 2 ? 'critical' : 'warning', hostname: `PROC-${n % 300}`, name: `Processing check ${n % 30}` }));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The processing lag and what still waits, read beside the relay through a read-only connection. */
function unprocessed(db: DatabaseSync): { waiting: number; oldestAt: number | undefined } {
  const row = db.prepare(`SELECT count(*) AS n, min(received_at) AS oldest FROM deliveries INDEXED BY deliveries_unprocessed WHERE outcome = 'received'`).get() as {
    n: number;
    oldest: number | null;
  };
  return { waiting: row.n, oldestAt: row.oldest ?? undefined };
}

async function drained(db: DatabaseSync, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (unprocessed(db).waiting > 0) {
    if (performance.now() - started > timeoutMs) throw new Error(`processing did not drain within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
  return performance.now() - started;
}

export async function processingFigure(ilertUrl: string, { log, checkLoad, stop }: Helpers): Promise<ProcessingResult> {
  const { rate, durationS, connections, sampleMs } = PROCESSING;
  log(
    `[8] Processing (the second stage): a sustained ${rate.toLocaleString('en')} alerts/s for ${durationS} s, then ${PROCESSING.backlog.toLocaleString('en')} queued jobs and a restart`,
  );

  // a. sustained rate
  const pool = new BodyPool(Math.ceil(rate * durationS * 1.1), (n) => alertBody(5_000_000 + n));
  const relay = await startRelayChild('relay (processing, sustained)', { ilertApiUrl: ilertUrl, eventsPerMinute: 100_000 });
  let sustained: ProcessingResult['sustained'];
  try {
    const db = new DatabaseSync(path.join(relay.dataDir!, DATABASE_FILE), { readOnly: true });
    try {
      let maxLagMs = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { oldestAt } = unprocessed(db);
          if (oldestAt !== undefined) maxLagMs = Math.max(maxLagMs, Date.now() - oldestAt);
          await sleep(sampleMs);
        }
      })();
      const started = performance.now();
      const run = await runAutocannon({ url: relay.url, pool, connections, durationS, overallRate: rate });
      const sendMs = performance.now() - started;
      const drainMs = await drained(db, PROCESSING.drainTimeoutMs);
      sampling = false;
      await sampler;
      checkLoad('processing, sustained rate', run, [202]);
      const sentRate = run.ok2xx / run.durationS;
      sustained = { targetRate: rate, sentRate, maxLagMs, drainMs, appliedRate: run.ok2xx / ((sendMs + drainMs) / 1000) };
    } finally {
      db.close();
    }
  } finally {
    await stop(relay);
  }
  const lagMet = sustained.maxLagMs < PROCESSING_AIMS.lagMs && sustained.sentRate >= rate * 0.95;
  log(
    `  sustained: sent ${Math.round(sustained.sentRate).toLocaleString('en')}/s (asked ${rate.toLocaleString('en')}/s); processing lag at most ${Math.round(sustained.maxLagMs).toLocaleString('en')} ms, ` +
      `the rest applied ${Math.round(sustained.drainMs).toLocaleString('en')} ms after the send stopped (${Math.round(sustained.appliedRate).toLocaleString('en')} applied/s over the whole run) ` +
      `(aim: keeps up, lag < ${PROCESSING_AIMS.lagMs} ms) ${lagMet ? 'met' : 'MISSED'}`,
  );

  // b. a deep backlog, then a restart
  const backlogPool = new BodyPool(PROCESSING.backlog, (n) => alertBody(7_000_000 + n));
  const first = await startRelayChild('relay (processing, backlog)', { ilertApiUrl: ilertUrl, eventsPerMinute: PROCESSING.eventsPerMinute });
  const dataDir = first.dataDir!;
  let rssAfterApplied: number | undefined;
  try {
    const run = await runAutocannon({ url: first.url, pool: backlogPool, connections: PROCESSING.backlogConnections, amount: PROCESSING.backlog });
    checkLoad('processing, backlog fill', run, [202]);
    const db = new DatabaseSync(path.join(dataDir, DATABASE_FILE), { readOnly: true });
    try {
      await drained(db, PROCESSING.drainTimeoutMs);
    } finally {
      db.close();
    }
    await sleep(1000);
    rssAfterApplied = readRss(first.pid)?.rss;
  } finally {
    await stop(first);
  }
  const started = performance.now();
  const second = await startRelayChild('relay (processing, restart)', { ilertApiUrl: ilertUrl, eventsPerMinute: PROCESSING.eventsPerMinute, dataDir });
  let restartToFirstAckMs: number;
  let rssAfterRestart: number | undefined;
  let rssAfterRestartSettled: number | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const probe = alertBody(9_000_000);
    for (;;) {
      const answer = await post(agent, second.url, probe.body, { ...signedHeaders(probe), 'content-type': 'application/json' }).catch(() => undefined);
      if (answer?.status === 202) break;
      if (performance.now() - started > 30_000) throw new Error('no 202 within 30 s of the restart');
      await sleep(10);
    }
    restartToFirstAckMs = performance.now() - started;
    rssAfterRestart = readRss(second.pid)?.rss;
    await sleep(3000);
    rssAfterRestartSettled = readRss(second.pid)?.rss;
  } finally {
    agent.destroy();
    await stop(second);
  }
  const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`);
  const rssMet = (rssAfterApplied ?? Infinity) < PROCESSING_AIMS.rssBytes && (rssAfterRestartSettled ?? Infinity) < PROCESSING_AIMS.rssBytes;
  log(
    `  ${PROCESSING.backlog.toLocaleString('en')} alerts applied, their jobs queued: RSS ${mb(rssAfterApplied)}; restart on that store: first 202 after ${Math.round(restartToFirstAckMs).toLocaleString('en')} ms ` +
      `(aim < ${PROCESSING_AIMS.firstAckMs} ms) ${restartToFirstAckMs < PROCESSING_AIMS.firstAckMs ? 'met' : 'MISSED'}, RSS ${mb(rssAfterRestart)} then ${mb(rssAfterRestartSettled)} 3 s later ` +
      `(aim < ${mb(PROCESSING_AIMS.rssBytes)}) ${rssMet ? 'met' : 'MISSED'}`,
  );
  log();
  return {
    sustained,
    backlog: { queued: PROCESSING.backlog, rssAfterApplied, restartToFirstAckMs, rssAfterRestart, rssAfterRestartSettled },
  };
}
