import type { SQLInputValue } from 'node:sqlite';
import { Relay } from '../../electron/core/relay.ts';
import type { Store } from '../../electron/core/store/store.ts';
import { forTests } from '../../electron/core/testing-seam.ts';
// The test door into the database; in the product only store/ imports this.
import { SQL } from '../../electron/core/store/private.ts';

type Row = Record<string, unknown>;

/**
 * The one door tests have into the relay's database, for what the relay's face does not show: how
 * a row was stored, what retention left behind. `row` and `rows` only read; `arrange` writes the
 * state a test starts from (a job queued long ago, rows aged past retention), and says so.
 */
export function inspect(target: Relay | Store) {
  // The seam: how a row was stored is what no answer of the relay shows.
  const sql = (target instanceof Relay ? target[forTests].store : target)[SQL];
  const reading = (query: string) => {
    if (!/^\s*(SELECT|WITH)\b/i.test(query)) throw new Error(`inspect reads only; use arrange() to write: ${query}`);
    return sql.get(query);
  };
  return {
    row: <T = Row>(query: string, ...params: SQLInputValue[]) => reading(query).get(...params) as T | undefined,
    rows: <T = Row>(query: string, ...params: SQLInputValue[]) => reading(query).all(...params) as T[],
    arrange: (query: string, ...params: SQLInputValue[]): void => {
      sql.get(query).run(...params);
    },
  };
}
