// The sandbox's real servers as the tests see them: its description, its client
// configuration, and plain undici requests that do not depend on our own layers.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Agent, request } from 'undici';
import { parse } from 'yaml';

import type { SandboxDescription, ServerDescription } from '../../sandbox/description.js';
import type { RunMode } from '../../src/host/run.js';

const descriptionFile = resolve(import.meta.dirname, '../../.sandbox/sandbox.json');

/** Reads the sandbox's description, failing loudly when the sandbox was never set up. */
export function sandbox(): SandboxDescription {
  if (!existsSync(descriptionFile)) {
    throw new Error(
      `The sandbox is not set up: ${descriptionFile} is missing. Run \`npm run sandbox\` ` +
        '(as root) first; `npm test` does it for you.',
    );
  }
  return JSON.parse(readFileSync(descriptionFile, 'utf8')) as SandboxDescription;
}

/** The sandbox's servers, LXD first, each with its description. */
export function sandboxServers(): ServerDescription[] {
  const servers = Object.values(sandbox().servers);
  if (servers.length !== 2) {
    throw new Error(
      `The sandbox describes ${servers.length} servers, expected LXD and Incus`,
    );
  }
  return servers;
}

/** Each server with each way of running commands: the exec suites run in both. */
export function serversAndModes(): [ServerDescription, RunMode][] {
  return sandboxServers().flatMap((server) =>
    (['record', 'session'] as const).map((mode): [ServerDescription, RunMode] => [
      server,
      mode,
    ]),
  );
}

/** A remote's entry in the sandbox's client config.yml. */
export function remoteEntry(
  server: ServerDescription,
  name: string,
): { addr: string; project?: string } {
  const config = parse(readFileSync(join(server.confDir, 'config.yml'), 'utf8')) as {
    remotes: Record<string, { addr: string; project?: string }>;
  };
  const entry = config.remotes[name];
  if (entry === undefined)
    throw new Error(`remote ${name} missing from ${server.confDir}`);
  return entry;
}

/** The client certificate, its key, and the pinned certificate of an HTTPS remote. */
export function credentials(server: ServerDescription, remote: string) {
  const read = (file: string) => readFileSync(join(server.confDir, file), 'utf8');
  return {
    cert: read('client.crt'),
    key: read('client.key'),
    pinned: new X509Certificate(read(`servercerts/${remote}.crt`)),
  };
}

/**
 * An undici dispatcher for an HTTPS remote that trusts exactly the pinned server
 * certificate: it is the only root, and the peer must present that very certificate.
 */
export function pinnedAgent(server: ServerDescription, remote: string): Agent {
  return new Agent({ connect: pinnedConnectOptions(server, remote) });
}

/** The TLS options of `pinnedAgent`, for an undici Client of one's own. */
export function pinnedConnectOptions(server: ServerDescription, remote: string) {
  const { cert, key, pinned } = credentials(server, remote);
  return {
    ca: pinned.toString(),
    cert,
    key,
    // The certificate names the server's host name, not 127.0.0.1: trust rests
    // on the fingerprint alone, as with the clients' pinned certificates.
    checkServerIdentity: (_host: string, peer: { fingerprint256: string }) =>
      peer.fingerprint256 === pinned.fingerprint256
        ? undefined
        : new Error(`peer ${peer.fingerprint256} is not the pinned certificate`),
  };
}

/** A unix-socket dispatcher for a server. */
export function socketAgent(server: ServerDescription): Agent {
  return new Agent({ connect: { socketPath: server.socket } });
}

/** GETs a path and returns the status and the parsed JSON body. */
export async function getJson(
  dispatcher: Agent,
  origin: string,
  path: string,
): Promise<{ status: number; body: { metadata: unknown } }> {
  const response = await request(new URL(path, origin), { dispatcher });
  const body = (await response.body.json()) as { metadata: unknown };
  return { status: response.statusCode, body };
}

/** The environment that points both clients' configuration at the sandbox's. */
export function sandboxEnv(): Record<string, string> {
  const byKind = sandbox().servers;
  const lxd = byKind.lxd;
  const incus = byKind.incus;
  if (lxd === undefined || incus === undefined) {
    throw new Error('The sandbox description lacks LXD or Incus; run `npm run sandbox`.');
  }
  // A home without configuration: nothing of the user's own may leak into a test.
  return { LXD_CONF: lxd.confDir, INCUS_CONF: incus.confDir, HOME: '/nonexistent' };
}

/** Runs a server's client against the sandbox's configuration. */
export async function sandboxClient(
  server: ServerDescription,
  args: readonly string[],
): Promise<string> {
  const { execa } = await import('execa');
  // `init` and `launch` read a config from standard input when it is not a terminal.
  const result = await execa(server.client, args, {
    env: { [server.confVariable]: server.confDir },
    stdin: 'ignore',
  });
  return result.stdout;
}
