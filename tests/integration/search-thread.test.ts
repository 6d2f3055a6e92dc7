import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { callMethod } from '../../electron/core/api/handlers.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { inspect } from '../helpers/inspect.ts';
import { startRelay } from '../helpers/relay-harness.ts';

const harness = await startRelay();
after(() => harness.stop());

test('delivery-log searches run on their own connection, not on the one that acknowledges webhooks', async () => {
  for (let index = 0; index < 3; index++) assert.ok((await harness.sender.deliver(alertEvent({ hostname: `DESK-${index}` }))).acknowledged);
  const search = async (text: string) => {
    const result = await callMethod(harness.api, 'listDeliveries', { filter: { search: text } });
    assert.ok(result.ok, JSON.stringify(result));
    return (result.value as { total: number }).total;
  };
  assert.equal(await search('DESK-'), 3);

  // A change the acknowledging connection has made and not committed: only that connection sees it.
  const sql = inspect(harness.relay);
  sql.arrange('BEGIN IMMEDIATE');
  try {
    sql.arrange(`UPDATE deliveries SET hostname = 'NOT-COMMITTED'`);
    assert.equal(await search('NOT-COMMITTED'), 0, 'the search does not read through the writer’s connection');
    assert.equal(await search('DESK-'), 3);
  } finally {
    sql.arrange('ROLLBACK');
  }
});
