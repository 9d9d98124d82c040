// A copy of a client configuration folder with one more remote, at a proxy's port:
// for the tests and benchmarks that put a delay or a counter in front of a server.
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

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
