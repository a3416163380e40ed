#!/usr/bin/env node
// `mintdesk`: runs the bundle `npm run build` makes (server/dist/mintdesk.js) when it is at least
// as new as every source it was built from; otherwise the TypeScript sources through tsx, so an
// edited tree still runs what it says (slower to start) and says so.
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { builtSourcesStale } from '../scripts/build-freshness.js';

// V8's compiled code for the bundle and the packages it loads, kept across starts (Node's cache
// folder in the temp dir, or NODE_COMPILE_CACHE): a restart skips compiling what has not changed.
module.enableCompileCache?.();

const bundle = new URL('../dist/mintdesk.js', import.meta.url);
const stale = builtSourcesStale(fileURLToPath(bundle));
let runCli;
if (stale === undefined) {
  ({ runCli } = await import(bundle.href));
} else {
  if (stale !== 'not built') {
    process.stderr.write(
      `mintdesk: ${stale} is newer than server/dist; running the sources (\`npm run build\` for a faster start)\n`,
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/cli.ts'));
}
process.exitCode = await runCli(process.argv.slice(2));
