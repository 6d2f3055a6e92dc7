import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { callMethod } from '../../electron/core/api/handlers.ts';
import type { MethodName } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, tempDataDir, SECRET, INTEGRATION_KEY, FAST_TUNING, OWNER, type InProcessRelay } from '../helpers/relay-harness.ts';
import { waitForChange, waitForJob, jobsFor } from '../helpers/wait.ts';

const OTHER_KEY = 'il1api-other-target-01';
const LEVEL_KEY = 'level-read-only-key';
const [ilert, level] = await Promise.all([new FakeIlert().start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
ilert.acceptedKeys.add(OTHER_KEY);
// Alerts from this group go to a second target that stays unpaused: its events are the witnesses
// that the forwarder ran its passes while the default target's backlog sat paused.
const witnessGroup = level.addGroup({ name: 'Witnesses' });
const witnessDevice = level.addDevice({ hostname: 'WITNESS-PC', group_id: witnessGroup.id }).id;
const dataDir = tempDataDir();
let harness: InProcessRelay | undefined;
after(async () => {
  await harness?.stop();
  await Promise.all([ilert.stop(), level.stop()]);
});

async function start() {
  // One request at a time, so the order ilert sees is the backlog's order.
  harness = await startRelay(
    {
      ilertApiUrl: ilert.url,
      ilertIntegrationKey: INTEGRATION_KEY,
      ilertTargets: [{ name: 'Other', integrationKey: OTHER_KEY }],
      levelApiUrl: level.url,
      levelApiKey: LEVEL_KEY,
    },
    { ...FAST_TUNING, maxInFlight: 1 },
    dataDir,
  );
  await harness.api.syncLevel({}, OWNER);
  await harness.api.setGroupRoute({ groupId: witnessGroup.id, route: { target: 'Other' } }, OWNER);
  const { api } = harness;
  const as =
    (role: 'operator' | 'viewer') =>
    async (method: MethodName, input: unknown = {}) =>
      callMethod(api, method, input, { name: 'Tess (technician)', role });
  return { relay: harness.relay, call: as('operator'), callAsViewer: as('viewer') };
}

const keyOf = (event: { data: { id: string } }) => `level-alert-${event.data.id}`;

/** An alert Level itself still lists as active, so the reconciliation at start-up leaves it alone. */
function activeAlert(severity: 'information' | 'warning' | 'critical', deviceId?: string) {
  const event = alertEvent({ severity });
  if (deviceId) event.data.device_id = deviceId;
  level.addAlert({ ...event.data, severity });
  return event;
}

/**
 * Sends an alert to the unpaused target and waits until ilert has it: a pass that sent it also
 * had every job already queued for the paused target due in front of it.
 */
async function forwarderHadItsChance(): Promise<void> {
  const witness = activeAlert('information', witnessDevice);
  await new LevelSender({ url: harness!.url, secret: SECRET }).deliver(witness);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(witness)).length === 1, 5000, 'the witness on the unpaused target');
  assert.equal(ilert.eventsFor(keyOf(witness))[0]!.integrationKey, OTHER_KEY);
  await waitForJob(harness!.relay, keyOf(witness), 'delivered');
}
const sentToDefault = () => ilert.events.filter((event) => event.integrationKey === INTEGRATION_KEY);

test('a paused target keeps its backlog queued across a restart, and resume sends it in the usual order, critical first', async () => {
  const first = await start();
  const { callAsViewer } = first;
  let { relay, call } = first;
  const sender = new LevelSender({ url: harness!.url, secret: SECRET });

  for (const method of ['pauseTarget', 'resumeTarget'] as const) {
    const refused = await callAsViewer(method, { target: 'default' });
    assert.equal(refused.ok ? 'allowed' : refused.error.code, 'forbidden', `${method} as a viewer`);
    assert.match(refused.ok ? '' : refused.error.message, /needs an operator or an admin of this relay; you \(Tess \(technician\)\) are a viewer/);
  }
  assert.deepEqual(relay.status().pausedTargets, [], 'a viewer’s pause changed nothing');

  const unknown = await call('pauseTarget', { target: 'no-such-target' });
  assert.equal(unknown.ok, false);
  assert.match(unknown.ok ? '' : unknown.error.message, /no ilert target named “no-such-target”/);

  assert.equal((await call('pauseTarget', { target: 'default' })).ok, true);
  const cpu = activeAlert('warning');
  const disk = activeAlert('critical');
  await sender.deliver(cpu);
  await sender.deliver(disk);
  await forwarderHadItsChance();
  assert.deepEqual(sentToDefault(), [], 'nothing reached the paused target');
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
  assert.deepEqual(sentToDefault(), [], 'nothing reached the paused target after the restart');

  const resumed = await call('resumeTarget', { target: 'default' });
  assert.deepEqual(resumed.ok && resumed.value, { wasPaused: true });
  await ilert.waitFor(() => sentToDefault().length === 2, 5000, 'the backlog after resume');
  assert.deepEqual(
    sentToDefault().map((event) => event.alertKey),
    [keyOf(disk), keyOf(cpu)],
    'the critical alert goes first although it came second',
  );
  await waitForChange(relay, () => relay.status().queueDepth === 0, 5000, 'the queue to drain');
  assert.deepEqual(relay.status().pausedTargets, []);
});
