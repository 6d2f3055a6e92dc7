import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { callMethod } from '../../electron/core/api/handlers.ts';
import { METHOD_ROLES, type MethodName } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, tempDataDir, SECRET, INTEGRATION_KEY, FAST_TUNING, type InProcessRelay } from '../helpers/relay-harness.ts';
import { waitForChange, jobsFor } from '../helpers/wait.ts';

const ilert = await new FakeIlert().start();
const dataDir = tempDataDir();
let harness: InProcessRelay | undefined;
after(async () => {
  await harness?.stop();
  await ilert.stop();
});

async function start() {
  // One request at a time, so the order ilert sees is the backlog's order.
  harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY }, { ...FAST_TUNING, maxInFlight: 1 }, dataDir);
  const { api } = harness;
  const call = async (method: MethodName, input: unknown = {}) => callMethod(api, method, input, { name: 'Tess (technician)', role: 'operator' });
  return { relay: harness.relay, call };
}

/** A forwarder pass runs on the turn after the work is written: two turns on, anything it would send is claimed. */
async function forwarderHadItsChance(): Promise<void> {
  await nextTurn();
  await nextTurn();
}

const keyOf = (event: ReturnType<typeof alertEvent>) => `level-alert-${event.data.id}`;

test('a paused target keeps its backlog queued across a restart, and resume sends it in the usual order, critical first', async () => {
  assert.equal(METHOD_ROLES.pauseTarget, 'operator');
  assert.equal(METHOD_ROLES.resumeTarget, 'operator');
  let { relay, call } = await start();
  const sender = new LevelSender({ url: harness!.url, secret: SECRET });

  const unknown = await call('pauseTarget', { target: 'no-such-target' });
  assert.equal(unknown.ok, false);
  assert.match(unknown.ok ? '' : unknown.error.message, /no ilert target named “no-such-target”/);

  assert.equal((await call('pauseTarget', { target: 'default' })).ok, true);
  const cpu = alertEvent({ severity: 'warning' });
  const disk = alertEvent({ severity: 'critical' });
  await sender.deliver(cpu);
  await sender.deliver(disk);
  await forwarderHadItsChance();
  const held = [...jobsFor(relay, keyOf(cpu)), ...jobsFor(relay, keyOf(disk))];
  assert.deepEqual(
    held.map((job) => [job.event_type, job.status, job.attempts]),
    [
      ['ALERT', 'queued', 0],
      ['ALERT', 'queued', 0],
    ],
  );
  const [pause] = relay.status().pausedTargets!;
  assert.equal(pause!.target, 'default');
  assert.equal(pause!.pausedBy, 'Tess (technician)');
  assert.equal(pause!.waiting, 2);

  // A relay restarted during ilert's maintenance must not flush the backlog into it.
  await harness!.stop();
  ({ relay, call } = await start());
  await forwarderHadItsChance();
  assert.equal(relay.status().pausedTargets![0]!.pausedAt, pause!.pausedAt, 'the pause and its time survive the restart');
  assert.equal(relay.status().queueDepth, 2);
  assert.equal(ilert.events.length, 0, 'nothing reached ilert while paused');

  const resumed = await call('resumeTarget', { target: 'default' });
  assert.deepEqual(resumed.ok && resumed.value, { wasPaused: true });
  await ilert.waitFor(() => ilert.events.length === 2, 5000, 'the backlog after resume');
  assert.deepEqual(
    ilert.events.map((event) => event.alertKey),
    [keyOf(disk), keyOf(cpu)],
    'the critical alert goes first although it came second',
  );
  await waitForChange(relay, () => relay.status().queueDepth === 0, 5000, 'the queue to drain');
  assert.deepEqual(relay.status().pausedTargets, []);
});
