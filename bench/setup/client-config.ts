// The benchmarks' client configuration: copies of the sandbox's folders, with one
// more remote that reaches the server through the delay proxy. Our library and the
// real `lxc` and `incus` read the same copy (through LXD_CONF / INCUS_CONF).
import { join } from 'node:path';

import type { ServerDescription } from '../../sandbox/description.js';
import { writeProxiedRemote } from '../../test/helpers/proxied-remote.js';

/**
 * Copies a server's sandbox client folder to `<root>/<client>` and adds the remote
 * `<remote>-bench` at `127.0.0.1:<port>`, in the sandbox's project, trusted by the
 * sandbox's pinned certificate. Both clients check that certificate by fingerprint
 * and its name against its own DNS name, never against the URL's host, so the
 * proxy's address passes. Returns the folder and the remote's name.
 */
export async function writeBenchConfig(
  server: ServerDescription,
  root: string,
  port: number,
): Promise<{ dir: string; remote: string }> {
  const dir = join(root, server.client);
  const remote = await writeProxiedRemote(
    server.confDir,
    server.remotes.https,
    dir,
    port,
  );
  return { dir, remote };
}
