// A copy of a server's sandbox client configuration whose HTTPS remote goes
// through a proxy on loopback, for tests that count or break its connections.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import type { ServerDescription } from '../../sandbox/description.js';

/** Copies the server's config folder, pointing its HTTPS remote at `port`. */
export async function proxiedConfig(
  server: ServerDescription,
  port: number,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lxd-api-conf-'));
  await cp(server.confDir, dir, { recursive: true });
  const file = join(dir, 'config.yml');
  const config = parse(await readFile(file, 'utf8')) as {
    remotes: Record<string, { addr: string }>;
  };
  const remote = config.remotes[server.remotes.https];
  assert.ok(remote, `remote ${server.remotes.https} missing from ${file}`);
  remote.addr = `https://127.0.0.1:${port}`;
  await writeFile(file, stringify(config));
  return dir;
}
