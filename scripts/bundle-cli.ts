// Bundles the `lxd-api` command into dist/cli/, the file the package's `bin` runs.
//
// Why a bundle: the command is started once per use, and before its first request
// Node spent most of its time finding, reading and compiling some three hundred
// small modules. One file per command (the commands still load lazily, as split
// chunks) takes that away. The library itself stays unbundled in dist/src/.
//
// Why undici is narrowed: its index loads every part it has (fetch, websockets,
// caches, mocks, proxies), about two thirds of its start-up cost, while the
// command needs only the HTTP/1.1 client and the error classes. The bundle maps
// `undici` to a module that loads just those, and adds the request methods to the
// dispatcher as undici's index does. The build fails if those paths ever move.
import { chmod, rm } from 'node:fs/promises';
import { resolve } from 'node:path';

import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const outdir = resolve(root, 'dist/cli');

const undiciClientOnly = `
const Client = require('undici/lib/dispatcher/client');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const errors = require('undici/lib/core/errors');
Object.assign(Dispatcher.prototype, require('undici/lib/api'));
module.exports = { Client, errors };
`;

const narrowUndici: Plugin = {
  name: 'undici-client-only',
  setup(bundle) {
    bundle.onResolve({ filter: /^undici$/ }, (args) => ({
      path: args.path,
      namespace: 'undici-client-only',
    }));
    bundle.onLoad({ filter: /.*/, namespace: 'undici-client-only' }, () => ({
      contents: undiciClientOnly,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { 'lxd-api': resolve(root, 'dist/src/cli/main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  // The CommonJS dependencies require Node's own modules; an ES module bundle has
  // no `require` of its own to give them.
  banner: {
    js: "import { createRequire as __lxdApiRequire } from 'node:module';\nconst require = __lxdApiRequire(import.meta.url);",
  },
  plugins: [narrowUndici],
  logLevel: 'warning',
});
await chmod(resolve(outdir, 'lxd-api.js'), 0o755);
