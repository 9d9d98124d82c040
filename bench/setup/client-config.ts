// The benchmarks' client configuration: copies of the sandbox's folders, with one
// more remote that reaches the server through the delay proxy. Our library and the
// real `lxc` and `incus` read the same copy (through LXD_CONF / INCUS_CONF).
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import type { ServerDescription } from '../../sandbox/description.js';

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

/**
 * Copies the client folder `confDir` to `dir` and adds `<remote>-bench`, the remote
 * `remote` with its address at `127.0.0.1:<port>` and its pinned certificate.
 * Returns the new remote's name.
 */
export async function writeProxiedRemote(
  confDir: string,
  remote: string,
  dir: string,
  port: number,
): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await cp(confDir, dir, { recursive: true });

  const file = join(dir, 'config.yml');
  const config = parse(await readFile(file, 'utf8')) as {
    remotes: Record<string, Record<string, unknown>>;
  };
  const original = config.remotes[remote];
  if (original === undefined) {
    throw new Error(
      `Remote ${remote} is missing from ${confDir}; run \`npm run sandbox\` again.`,
    );
  }
  const proxied = `${remote}-bench`;
  config.remotes[proxied] = { ...original, addr: `https://127.0.0.1:${port}` };
  await writeFile(file, stringify(config));

  const certs = join(dir, 'servercerts');
  await cp(join(certs, `${remote}.crt`), join(certs, `${proxied}.crt`));
  return proxied;
}
