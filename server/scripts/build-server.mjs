#!/usr/bin/env node
// `npm run build --workspace server`: bundles the service's own TypeScript (server/src and the
// shared schemas) into one ESM file, server/dist/mintdesk.js, which `mintdesk` runs when it is
// up to date. One file instead of ~150 modules through tsx's loader is most of a start-up's time.
// Installed packages stay external — they load as Node would load them, native addons included —
// except the two pure-ESM packages that only this service imports and that are each hundreds of
// small modules (see INLINED).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// An other output file (the bundle test builds one of its own) must sit two levels below the
// repository like server/dist/, so that the relative URLs below still reach the sources.
const outFile = path.resolve(process.argv[2] ?? path.join(serverDir, 'dist/mintdesk.js'));
const outDir = path.dirname(outFile);

// Modules find their static files and package.json next to themselves (`import.meta.url`). In one
// bundle every module would share dist/'s URL, so each keeps its own: its source file's URL,
// relative to the bundle, so the tree can still move as a whole.
const keepOwnUrl = {
  name: 'keep-own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[/\\](server|shared)[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const relative = path.relative(outDir, args.path).split(path.sep).join('/');
      const ownUrl = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', ownUrl), loader: 'ts' };
    });
  },
};

// Loading kysely's ~400 modules and jose's ~100 was the largest share of a start-up (~90 ms of
// ~700). Nothing else installed imports them, so inlining them cannot make a second copy whose
// classes fail `instanceof` against the first. zod stays external: fastify-type-provider-zod
// checks schemas against its own import of it.
const INLINED = ['kysely', 'jose'];
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (INLINED.includes(name) || name === '@mintdesk/shared' || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const started = performance.now();
await build({
  entryPoints: [path.join(serverDir, 'src/cli.ts')],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // The workspace's own @mintdesk/shared is bundled like our sources.
  alias: { '@mintdesk/shared': path.join(serverDir, '../shared/src/index.ts') },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [keepOwnUrl, externalPackages],
});
const size = fs.statSync(outFile).size;
process.stdout.write(
  `Built ${path.relative(process.cwd(), outFile)} (${Math.round(size / 1024)} KB) in ${Math.round(performance.now() - started)} ms\n`,
);
