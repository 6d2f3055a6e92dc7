import type { SQLInputValue } from 'node:sqlite';
import type { Relay } from '../../electron/core/relay.ts';
import type { Store } from '../../electron/core/store/store.ts';
import { forTests } from '../../electron/core/testing-seam.ts';

type Row = Record<string, unknown>;

/**
 * The one door tests have into the relay's database, for what the relay's face does not show: how
 * a row was stored, what retention left behind. `row` and `rows` only read; `arrange` writes the
 * state a test starts from (a job queued long ago, rows aged past retention), and says so.
 */
export function inspect(target: Relay | Store) {
  // The seam: how a row was stored is what no answer of the relay shows.
  const sql = ('sql' in target ? target : target[forTests].store).sql;
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
