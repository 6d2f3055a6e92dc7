/**
 * Test-only: `relay[forTests]` hands tests and the benchmark the relay's parts, for what its face
 * (the contract handlers, `events`, `status()`) does not show or cannot provoke on cue: a poll of
 * ilert now, a heartbeat tick, a failing disk. Product code never uses it; hosts see only the face.
 */
export const forTests = Symbol('relay parts, for tests only');
