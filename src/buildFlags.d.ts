// Literals that scripts/build.mjs defines at bundle time (esbuild `define`).

/**
 * True only in test builds (`node scripts/build.mjs --test-hooks`, which the code-server suites run):
 * the debug.state command. esbuild replaces the name with `false` otherwise, and the hook is dropped
 * as dead code. Undefined under tsx (the unit tests), so read it with a `typeof` guard.
 */
declare const __TEST_HOOKS__: boolean | undefined;
