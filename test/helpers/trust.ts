// Trust tokens and trust entries on the sandbox's servers, made and removed with
// each server's own client over its unix socket (the sandbox's admin config).
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import { execa } from 'execa';

import type { ServerDescription } from '../../sandbox/description.js';

/** The name prefix of every trust entry and token the tests make. */
export const testTrustPrefix = 'lxd-api-test-';

/** Runs `server`'s client as the sandbox's administrator, over the unix socket. */
export async function admin(
  server: ServerDescription,
  args: readonly string[],
): Promise<string> {
  const confDir = resolve(import.meta.dirname, '../../.sandbox/admin', server.client);
  const result = await execa(server.client, args, {
    env: { [server.confVariable]: confDir },
    stdin: 'ignore',
  });
  return result.stdout;
}

/** A new trust token, and the name its certificate will be trusted under. */
export async function makeToken(
  server: ServerDescription,
): Promise<{ token: string; name: string }> {
  const name = `${testTrustPrefix}${randomBytes(4).toString('hex')}`;
  const args =
    server.kind === 'lxd'
      ? ['config', 'trust', 'add', '--name', name]
      : ['config', 'trust', 'add', name];
  const output = await admin(server, args);
  return { token: output.trim().split('\n').at(-1)?.trim() ?? '', name };
}

/** A token with some of its fields changed, as a forger or a typo would. */
export function alterToken(token: string, changes: Record<string, unknown>): string {
  const json = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as object;
  return Buffer.from(JSON.stringify({ ...json, ...changes })).toString('base64');
}

/** The names of the certificates `server` trusts, by fingerprint. */
export async function trustedCertificates(
  server: ServerDescription,
): Promise<Map<string, string>> {
  const list = JSON.parse(
    await admin(server, ['query', '/1.0/certificates?recursion=1']),
  ) as { fingerprint: string; name: string }[];
  return new Map(list.map((each) => [each.fingerprint, each.name]));
}

/**
 * Removes what the tests left on `server`: the certificates trusted under a test
 * name, and the pending tokens made with one.
 */
export async function removeTestTrust(server: ServerDescription): Promise<void> {
  for (const [fingerprint, name] of await trustedCertificates(server)) {
    if (!name.startsWith(testTrustPrefix)) continue;
    await admin(server, ['query', '-X', 'DELETE', `/1.0/certificates/${fingerprint}`]);
  }
  // With no operation at all, `query` prints nothing.
  const operations = JSON.parse(
    (await admin(server, ['query', '/1.0/operations?recursion=1'])) || '{}',
  ) as { running?: { id: string; metadata: { request?: { name?: string } } }[] };
  for (const operation of operations.running ?? []) {
    const name = operation.metadata.request?.name ?? '';
    if (!name.startsWith(testTrustPrefix)) continue;
    await admin(server, ['query', '-X', 'DELETE', `/1.0/operations/${operation.id}`]);
  }
}
