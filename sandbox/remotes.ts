import { existsSync, readFileSync } from 'node:fs';

import { parse } from 'yaml';

import type { Client } from './client.js';
import { otherProjectName, projectName, remoteNames, trustName } from './layout.js';
import { say, SandboxError } from './log.js';
import type { ServerKind } from './servers.js';

interface RemoteEntry {
  addr?: string;
  project?: string;
}

/**
 * Writes the sandbox's client configuration for one server, the way its own client
 * does it: an HTTPS remote trusted through a token with the server certificate
 * pinned, a `unix://` remote, and an HTTPS remote on the sandbox's other project.
 */
export async function ensureRemotes(
  kind: ServerKind,
  admin: Client,
  user: Client,
  confFile: string,
  address: string,
): Promise<void> {
  const names = remoteNames(kind);
  const url = `https://${address}`;
  let remotes = readRemotes(confFile);

  if (!(await isTrusted(user, remotes, names.https, url, projectName))) {
    await addWithToken(kind, admin, user, remotes, names.https, projectName);
    say(
      kind.name,
      `trusted a new client certificate with a token; remote ${names.https}`,
    );
    remotes = readRemotes(confFile);
  }

  const wanted = [
    { name: names.unix, addr: 'unix://', project: projectName },
    { name: names.other, addr: url, project: otherProjectName },
  ];
  for (const remote of wanted) {
    const entry = remotes[remote.name];
    if (entry?.addr === remote.addr && entry.project === remote.project) continue;
    if (entry !== undefined) await user(['remote', 'remove', remote.name]);
    const accept = remote.addr.startsWith('https:') ? ['--accept-certificate'] : [];
    await user([
      'remote',
      'add',
      remote.name,
      remote.addr,
      ...accept,
      '--project',
      remote.project,
    ]);
    say(
      kind.name,
      `added remote ${remote.name} (${remote.addr}, project ${remote.project})`,
    );
  }

  const config = readConfig(confFile);
  if (config['default-remote'] !== names.https) {
    await user(['remote', 'switch', names.https]);
  }
  say(kind.name, `client config ${confFile}: remotes ${Object.values(names).join(', ')}`);
}

/**
 * Adds, unless it is there and trusted already, the remote of one of the sandbox's
 * clusters: trusted through a token of the founding member, its certificate (the
 * cluster's, which every member presents) pinned, in the cluster's project.
 */
export async function ensureClusterRemote(
  kind: ServerKind,
  admin: Client,
  user: Client,
  confFile: string,
  remote: { name: string; address: string; project: string },
): Promise<void> {
  const url = `https://${remote.address}`;
  const remotes = readRemotes(confFile);
  if (await isTrusted(user, remotes, remote.name, url, remote.project)) {
    say(kind.name, `remote ${remote.name} (${url}) trusted`);
    return;
  }
  await addWithToken(kind, admin, user, remotes, remote.name, remote.project);
  const added = readRemotes(confFile)[remote.name];
  if (added?.addr !== url) {
    throw new SandboxError(
      `remote ${remote.name} was added at ${added?.addr ?? 'no address'}, not ${url}`,
    );
  }
  say(kind.name, `trusted the client certificate on the cluster; remote ${remote.name}`);
}

// The remote exists with the right address and project, and the server answers
// with `auth: trusted` to our client certificate.
async function isTrusted(
  user: Client,
  remotes: Record<string, RemoteEntry>,
  name: string,
  url: string,
  project: string,
): Promise<boolean> {
  const entry = remotes[name];
  if (entry?.addr !== url || entry.project !== project) return false;
  try {
    const info = JSON.parse(await user(['query', `${name}:/1.0`])) as { auth?: string };
    return info.auth === 'trusted';
  } catch {
    return false;
  }
}

// (Re)adds a remote with a fresh trust token, accepting the certificate it shows.
async function addWithToken(
  kind: ServerKind,
  admin: Client,
  user: Client,
  remotes: Record<string, RemoteEntry>,
  name: string,
  project: string,
): Promise<void> {
  if (remotes[name] !== undefined) await user(['remote', 'remove', name]);
  const token = await trustToken(kind, admin);
  await user([
    'remote',
    'add',
    name,
    token,
    '--accept-certificate',
    '--project',
    project,
  ]);
}

async function trustToken(kind: ServerKind, admin: Client): Promise<string> {
  const args =
    kind.name === 'lxd'
      ? ['config', 'trust', 'add', '--name', trustName]
      : ['config', 'trust', 'add', trustName];
  const output = await admin(args);
  // The token is the last line; the lines before it are a heading.
  const token = output.split('\n').at(-1)?.trim() ?? '';
  if (!/^[A-Za-z0-9+/=]{40,}$/.test(token)) {
    throw new SandboxError(
      `${kind.client} ${args.join(' ')} printed no token: ${output}`,
    );
  }
  return token;
}

function readConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const value: unknown = parse(readFileSync(file, 'utf8'));
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : {};
}

function readRemotes(file: string): Record<string, RemoteEntry> {
  const remotes = readConfig(file).remotes;
  return typeof remotes === 'object' && remotes !== null
    ? (remotes as Record<string, RemoteEntry>)
    : {};
}
