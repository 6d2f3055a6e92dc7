/**
 * Node's on-disk compile cache for every test process and child relay (each loads this first, through
 * forbid-electron.ts): without it each of them strips and compiles the same hundreds of TypeScript
 * modules again, about half a second of CPU per process on the CI machine's 2 cores. The cache is
 * keyed by each file's content, so an edited file is compiled afresh; NODE_COMPILE_CACHE, when set,
 * names its directory.
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
