/**
 * Load generators: autocannon (closed loop, many connections) for throughput and bulk loads, an
 * open-loop paced sender for latency at a steady rate, and single keep-alive POSTs for sequential
 * measurements. All of them only ever talk to 127.0.0.1 and stop by themselves.
 */
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { BodyPool, SignedBody } from './payloads.ts';

// autocannon ships no type declarations; this is the part of its API the benchmark uses.
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | undefined;
}

interface AutocannonOptions {
  url: string;
  connections?: number;
  duration?: number;
  amount?: number;
  overallRate?: number;
  pipelining?: number;
  timeout?: number;
  requests?: AutocannonRequest[];
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

type Autocannon = (options: AutocannonOptions, done: (error: Error | null, result: AutocannonResult) => void) => EventEmitter;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

export interface LoadResult {
  /** Wall time of the run as autocannon measured it, in seconds. */
  durationS: number;
  ok2xx: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Per-response latency in ms (autocannon's own histogram rounds to whole ms). */
  latencies: number[];
}

/**
 * Runs autocannon against `url` with one signed body per request from `pool`. Either `durationS`
 * or `amount` bounds the run.
 */
export function runAutocannon(options: {
  url: string;
  pool: BodyPool;
  connections: number;
  durationS?: number;
  amount?: number;
  overallRate?: number;
  recordLatencies?: boolean;
}): Promise<LoadResult> {
  const { url, pool } = options;
  const target = new URL(url);
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: target.pathname,
            setupRequest: (request) => {
              const next = pool.next();
              request.headers = {
                ...request.headers,
                'content-type': 'application/json',
                'user-agent': 'Level-Webhooks/1.0',
                'x-level-signature': next.signature,
              };
              request.body = next.body;
              return request;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const statuses: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats)) statuses[code] = stat.count;
        resolve({
          durationS: result.duration,
          ok2xx: result['2xx'],
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          latencies,
        });
      },
    );
    if (options.recordLatencies) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
    }
  });
}

/** One POST over a keep-alive agent; resolves with the status once the whole answer has arrived. */
export function post(agent: http.Agent, url: string, body: Buffer | string, headers: Record<string, string>, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.end(body);
  });
}

export function signedHeaders(signed: SignedBody): Record<string, string> {
  return { 'user-agent': 'Level-Webhooks/1.0', 'x-level-signature': signed.signature };
}

export interface PacedResult {
  sent: number;
  elapsedS: number;
  /** From the moment each request was written to its complete answer, in ms (2xx only). */
  latencies: number[];
  /** How late the sends were against their schedule (p99), in ms: large values mean the sender lagged. */
  scheduleLagP99Ms: number;
  statuses: Record<string, number>;
  errors: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Open loop at a steady rate: request i is sent at start + i/rate whatever happened to earlier
 * ones (so a slow answer cannot hold back the next request), over a pool of keep-alive sockets.
 * autocannon's `overallRate` instead sends each connection's quota for the second in a burst.
 */
export async function runPaced(options: { url: string; rate: number; durationS: number; bodies: SignedBody[]; maxSockets?: number }): Promise<PacedResult> {
  const { url, rate, bodies } = options;
  const count = Math.min(bodies.length, Math.round(rate * options.durationS));
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / rate;
  const start = performance.now() + 10;
  for (let index = 0; index < count; index++) {
    const due = start + index * interval;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    const signed = bodies[index]!;
    const sentAt = performance.now();
    lags.push(Math.max(0, sentAt - due));
    pending.push(
      post(agent, url, signed.body, signedHeaders(signed)).then(
        ({ status }) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) latencies.push(performance.now() - sentAt);
        },
        (error: unknown) => {
          errors.push((error as Error).message);
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  lags.sort((a, b) => a - b);
  return { sent: count, elapsedS, latencies, scheduleLagP99Ms: percentile(lags, 99), statuses, errors };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(values: number[]): { count: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / (sorted.length || 1);
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, mean };
}
