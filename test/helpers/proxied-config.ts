// A copy of a sandbox server's client configuration whose HTTPS remote goes to a
// proxy on loopback: for the tests that put a proxy between client and server.
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import type { ServerDescription } from '../../sandbox/description.js';
import { scratchDir } from './scratch.js';

/**
 * Copies the server's config folder with the HTTPS remote's address set to
 * `127.0.0.1:port`. With `pinned`, that PEM replaces the remote's pinned server
 * certificate (a proxy that terminates TLS presents its own); without it the
 * server's pin stays, which matches through a proxy that relays TLS untouched.
 */
export async function proxiedConfig(
  server: ServerDescription,
  port: number,
  pinned?: string,
): Promise<string> {
  const dir = scratchDir('proxied-conf-');
  await cp(server.confDir, dir, { recursive: true });
  const file = join(dir, 'config.yml');
  const config = parse(await readFile(file, 'utf8')) as {
    remotes: Record<string, { addr: string }>;
  };
  const remote = config.remotes[server.remotes.https];
  assert.ok(remote, `remote ${server.remotes.https} missing from ${file}`);
  remote.addr = `https://127.0.0.1:${port}`;
  await writeFile(file, stringify(config));
  if (pinned !== undefined) {
    await writeFile(join(dir, 'servercerts', `${server.remotes.https}.crt`), pinned);
  }
  return dir;
}
