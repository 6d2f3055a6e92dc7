import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { callMethod } from '../../electron/core/api/handlers.ts';
import { DELIVERY_STATUSES, methods, type MethodName } from '../../shared/contract.ts';
import { startRelay } from '../helpers/relay-harness.ts';

const harness = await startRelay();
after(() => harness.stop());

test('a delivery-log filter with 40,000 event types or 200,000 statuses is a 400 that names the field, not a 500', async () => {
  const eventTypes = Array.from({ length: 40_000 }, (_, index) => `type_${index}`);
  const tooManyTypes = await callMethod(harness.api, 'listDeliveries', { filter: { eventTypes } });
  assert.equal(tooManyTypes.ok, false);
  assert.ok(!tooManyTypes.ok && tooManyTypes.status === 400, JSON.stringify(tooManyTypes).slice(0, 300));
  assert.match(tooManyTypes.error.message, /at most 100 event types[\s\S]*filter\.eventTypes/);

  const statuses = Array.from({ length: 200_000 }, () => 'failed');
  const repeated = await callMethod(harness.api, 'retryAllFailed', { filter: { statuses } });
  assert.ok(!repeated.ok && repeated.status === 400, JSON.stringify(repeated).slice(0, 300));
  assert.match(repeated.error.message, new RegExp(String.raw`at most ${DELIVERY_STATUSES.length} statuses, each once[\s\S]*filter\.statuses`));
  const listed = await callMethod(harness.api, 'listDeliveries', { filter: { statuses } });
  assert.ok(!listed.ok && listed.status === 400);

  const fine = await callMethod(harness.api, 'listDeliveries', { filter: { eventTypes: eventTypes.slice(0, 100), statuses: ['failed', 'failed'] } });
  assert.ok(fine.ok, 'the bounds leave room for any real filter');
});

/** Every string and list a caller can send, with where it is: the schema's JSON form says what is bounded. */
function unbounded(schema: unknown, at: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const found: string[] = [];
  if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined && node.const === undefined) found.push(`${at}: string without a maximum length`);
  if (node.type === 'array' && node.maxItems === undefined) found.push(`${at}: list without a maximum length`);
  if (node.type === 'object' && node.additionalProperties !== undefined && node.additionalProperties !== false) found.push(`${at}: open record`);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties') for (const [property, inner] of Object.entries(value as object)) found.push(...unbounded(inner, `${at}.${property}`));
    else if (key === 'items' || key === 'additionalProperties') found.push(...unbounded(value, `${at}[]`));
    else if (Array.isArray(value)) value.forEach((inner, index) => found.push(...unbounded(inner, `${at}|${index}`)));
  }
  return found;
}

test('every string and list in every method’s input has an upper bound', () => {
  const found = (Object.keys(methods) as MethodName[]).flatMap((name) => unbounded(z.toJSONSchema(methods[name].input, { io: 'input', unrepresentable: 'any' }), name));
  assert.deepEqual(found, []);
});
