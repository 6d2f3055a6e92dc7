/**
 * The keys of the store's connection and statement cache. Only files in store/ import this file
 * (the layers test checks), so SQL cannot be written anywhere else: outside store/, the store has
 * no `sql` or `db` member for the compiler to find.
 */
export const DB = Symbol('the store’s connection');
export const SQL = Symbol('the store’s statements');
