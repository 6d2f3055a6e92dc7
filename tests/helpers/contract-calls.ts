/** Contract calls as a person makes them, through the admin door's own checks (role, input schema, error mapping). */
import { callMethod } from '../../electron/core/api/handlers.ts';
import type { Handlers, MethodName, MethodOutput, Role } from '../../shared/contract.ts';

export type Answer<M extends MethodName> = { ok: true; value: MethodOutput<M> } | { ok: false; status: number; error: { code: string; message: string } };

/**
 * `call` answers as the door would (a refusal is an answer); `must` throws on one. The caller is
 * "<name> (<role>)", as audit rows and "made by" read it; `defaultRole` is the role a file's tests
 * mostly act in.
 */
export function contractCalls(name: string, defaultRole: Role) {
  const call = <M extends MethodName>(harness: { api: Handlers }, method: M, input: unknown, role: Role = defaultRole) =>
    callMethod(harness.api, method, input, { name: `${name} (${role})`, role }) as Promise<Answer<M>>;
  const must = async <M extends MethodName>(harness: { api: Handlers }, method: M, input: unknown, role: Role = defaultRole): Promise<MethodOutput<M>> => {
    const result = await call(harness, method, input, role);
    if (!result.ok) throw new Error(`${method}: ${result.status} ${result.error.message}`);
    return result.value;
  };
  return { call, must };
}
