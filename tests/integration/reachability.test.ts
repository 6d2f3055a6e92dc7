import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkReachability, normalisePublicUrl, type ReachabilityResult } from '../../electron/core/setup/reachability.ts';
import fs from 'node:fs';
import path from 'node:path';
import { AdminServer } from '../../electron/core/admin/admin-server.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { SettingsService } from '../../electron/core/settings-service.ts';
import { startRelay, tempDataDir, checkedAnswers } from '../helpers/relay-harness.ts';
import { startReverseProxy } from '../fakes/reverse-proxy.ts';

const first = await startRelay();
const second = await startRelay();
after(() => Promise.all([first.stop(), second.stop()]));
const firstBase = new URL(first.url).origin;
const secondBase = new URL(second.url).origin;

async function plainServer(handler: http.RequestListener): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port that was just free: nothing listens there. */
async function closedPortUrl(): Promise<string> {
  const server = await plainServer(() => {});
  await server.stop();
  return server.url;
}

function failure(result: ReachabilityResult): Extract<ReachabilityResult, { ok: false }> {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result as Extract<ReachabilityResult, { ok: false }>;
}

test('a relay behind a reverse proxy is reached and identified', async (t) => {
  const proxy = await startReverseProxy(firstBase);
  t.after(() => proxy.stop());
  const result = await checkReachability(proxy.url, first.relay.instanceId);
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(result.ok);
  assert.equal(result.checkedUrl, `${proxy.url}/healthz`);
  assert.ok(result.latencyMs >= 0 && result.latencyMs < 5000);
  assert.deepEqual(result.notes, ['Level only delivers webhooks to https:// URLs: this http:// URL works for a local test, but Level will refuse it']);
  assert.equal(proxy.requests.length, 1);
  assert.equal(proxy.requests[0]!.host, new URL(firstBase).host, 'the proxy rewrote Host to the relay');
  assert.equal(proxy.requests[0]!.xff, '127.0.0.1');
});

test('the webhook URL as pasted in Level, with stray spaces and a path prefix, is checked at its base', async (t) => {
  const proxy = await startReverseProxy(firstBase, { pathPrefix: '/relay' });
  t.after(() => proxy.stop());
  const result = await checkReachability(`  ${proxy.url}/webhooks/level/ `, first.relay.instanceId);
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.checkedUrl, `${proxy.url}/healthz`);
  assert.ok(result.notes.includes('removed spaces around the URL'));
  assert.ok(result.notes.some((note) => note.startsWith('removed /webhooks/level from the end')));
});

test('another relay behind the URL is told apart from this one', async (t) => {
  const proxy = await startReverseProxy(secondBase);
  t.after(() => proxy.stop());
  const problem = failure(await checkReachability(proxy.url, first.relay.instanceId));
  assert.equal(problem.problem, 'other-relay');
  assert.match(problem.message, /^another relay answers at this URL, not this one/);
});

test('a proxy whose upstream refuses answers 502, reported as http-status with the local port to check', async (t) => {
  const proxy = await startReverseProxy(await closedPortUrl());
  t.after(() => proxy.stop());
  const problem = failure(await checkReachability(proxy.url, first.relay.instanceId, { localUrl: firstBase }));
  assert.equal(problem.problem, 'http-status');
  assert.equal(problem.message, `the URL answers, but with HTTP 502 — the tunnel or proxy cannot reach the relay on this machine (is it pointed at ${new URL(firstBase).host}?)`);
});

test('a redirect is an http-status problem: Level posts to the URL as entered', async (t) => {
  const server = await plainServer((_request, response) => response.writeHead(301, { location: 'https://elsewhere.example/' }).end());
  t.after(() => server.stop());
  const problem = failure(await checkReachability(server.url, first.relay.instanceId));
  assert.equal(problem.problem, 'http-status');
  assert.match(problem.message, /redirect \(HTTP 301 to https:\/\/elsewhere\.example\/\)/);
});

test('a web server that is not the relay is not-relay', async (t) => {
  const server = await plainServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
  t.after(() => server.stop());
  const problem = failure(await checkReachability(server.url, first.relay.instanceId));
  assert.equal(problem.problem, 'not-relay');
  assert.match(problem.message, /HTTP 200, but not as this relay/);
});

test('a cached health answer is a nonce-mismatch', async (t) => {
  const stale = { status: 'ok', nonce: 'an-older-check-nonce-0123', relay: first.relay.instanceId };
  const server = await plainServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stale)));
  t.after(() => server.stop());
  const problem = failure(await checkReachability(server.url, first.relay.instanceId));
  assert.equal(problem.problem, 'nonce-mismatch');
  assert.match(problem.message, /cached/);
});

test('a closed port is refused', async () => {
  const url = await closedPortUrl();
  const problem = failure(await checkReachability(url, first.relay.instanceId));
  assert.equal(problem.problem, 'refused');
  assert.equal(problem.checkedUrl, `${url}/healthz`);
  assert.match(problem.message, /^127\.0\.0\.1 refuses the connection/);
});

test('a host name that does not resolve is dns', async () => {
  const problem = failure(await checkReachability('https://no-such-tunnel.invalid', first.relay.instanceId, { timeoutMs: 5000 }));
  assert.equal(problem.problem, 'dns');
  assert.equal(problem.message, 'the host name no-such-tunnel.invalid does not resolve: is the tunnel running and the URL copied completely?');
});

test('a server that never answers is a timeout', async (t) => {
  const server = await plainServer(() => {});
  t.after(() => server.stop());
  const problem = failure(await checkReachability(server.url, first.relay.instanceId, { timeoutMs: 200 }));
  assert.equal(problem.problem, 'timeout');
  assert.match(problem.message, /^no answer from 127\.0\.0\.1 within 0\.2 s/);
});

test('https:// to a plain http listener is a tls problem', async () => {
  const problem = failure(await checkReachability(firstBase.replace('http:', 'https:'), first.relay.instanceId));
  assert.equal(problem.problem, 'tls');
  assert.match(problem.message, /does not speak HTTPS/);
});

test('garbage is invalid-url without any request', async () => {
  const problem = failure(await checkReachability('not a url', first.relay.instanceId));
  assert.equal(problem.problem, 'invalid-url');
  assert.equal(problem.checkedUrl, 'not a url');
});

test('normalisePublicUrl', () => {
  assert.deepEqual(normalisePublicUrl('  https://relay.example.com \n'), { url: 'https://relay.example.com', notes: ['removed spaces around the URL'] });
  assert.deepEqual(normalisePublicUrl('https://relay.example.com/'), { url: 'https://relay.example.com', notes: ['removed the trailing slash'] });
  assert.deepEqual(normalisePublicUrl('https://relay.example.com'), { url: 'https://relay.example.com', notes: [] });
  assert.deepEqual(normalisePublicUrl('https://Relay.Example.com/proxy/relay/'), { url: 'https://relay.example.com/proxy/relay', notes: ['removed the trailing slash'] });

  const webhook = normalisePublicUrl('https://seasonal-deck.trycloudflare.com/webhooks/level/');
  assert.equal(webhook.url, 'https://seasonal-deck.trycloudflare.com');
  assert.equal(webhook.notes.length, 1);
  assert.match(webhook.notes[0]!, /^removed \/webhooks\/level from the end/);

  const bare = normalisePublicUrl('seasonal-deck.trycloudflare.com');
  assert.deepEqual(bare, { url: 'https://seasonal-deck.trycloudflare.com', notes: ['added https:// in front of the host name'] });

  const http = normalisePublicUrl('http://127.0.0.1:8787');
  assert.equal(http.url, 'http://127.0.0.1:8787');
  assert.equal(http.error, undefined);
  assert.match(http.notes.join('\n'), /Level only delivers webhooks to https:\/\/ URLs/);

  assert.equal(normalisePublicUrl('https://relay.example.com/?x=1#top').url, 'https://relay.example.com');

  for (const garbage of ['', '   ', 'not a url', 'hello', 'ftp://relay.example.com', 'https://', 'https://user:pw@relay.example.com']) {
    const result = normalisePublicUrl(garbage);
    assert.equal(result.url, undefined, garbage);
    assert.ok(result.error, `an error for ${JSON.stringify(garbage)}`);
  }
  assert.match(normalisePublicUrl('ftp://relay.example.com').error!, /must start with https:\/\//);
});

test('the relay’s own dashboard port is recognised and named, and a reserved port is said in plain words', async () => {
  const rendererDir = tempDataDir('renderer-');
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>dashboard</title>');
  const settings = new SettingsService(new SettingsFile(first.dataDir), {});
  settings.onChange((changed) => first.relay.applySettings(changed));
  const admin = new AdminServer({ handlers: checkedAnswers(first.relay.handlers(settings)), rendererDir });
  const { port } = await admin.listen(0);
  try {
    const pasted = await checkReachability(`http://127.0.0.1:${port}`, first.relay.instanceId, { localUrl: first.url });
    assert.equal(pasted.ok, false);
    assert.match(
      pasted.ok ? '' : pasted.message,
      new RegExp(`^that is the relay's dashboard port, not its receiver: point the tunnel or proxy at the receiver \\(${first.url.replace(/[.]/g, '\\.')}\\)`),
    );
  } finally {
    await admin.close();
  }

  const reserved = await checkReachability('http://127.0.0.1:6000', first.relay.instanceId);
  assert.equal(reserved.ok, false);
  assert.match(reserved.ok ? '' : reserved.message, /^port 6000 is reserved for another kind of service/);
  assert.doesNotMatch(reserved.ok ? '' : reserved.message, /bad port/);
});
