import { instanceFileUrl } from '../api/files.js';
import { LxdApiError } from '../errors.js';
import type { Host } from './host.js';

/** A user of an instance, as its /etc/passwd has it. */
export interface InstanceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A user name that the instance does not know. */
export class UnknownUserError extends LxdApiError {
  readonly user: string;
  readonly host: string;

  constructor(user: string, host: string) {
    super(
      'LXDAPI_UNKNOWN_USER',
      `User \`${user}\` is not in /etc/passwd of ${host}; create it there, or give a ` +
        'numeric uid.',
    );
    this.user = user;
    this.host = host;
  }
}

// One read of /etc/passwd per host, shared by every command that names a user.
const passwdOf = new WeakMap<Host, Promise<Map<string, InstanceUser>>>();

/** Resolves a user name of the instance to its uid, gid and home. */
export async function lookupUser(host: Host, name: string): Promise<InstanceUser> {
  const user = (await usersOf(host)).get(name);
  if (user === undefined) throw new UnknownUserError(name, describeHost(host));
  return user;
}

/** The user whose uid is `uid`, if /etc/passwd names one. */
export async function userById(
  host: Host,
  uid: number,
): Promise<InstanceUser | undefined> {
  return [...(await usersOf(host)).values()].find((user) => user.uid === uid);
}

/** `remote:instance`, as messages name a host. */
export function describeHost(host: Host): string {
  return `${host.remote.name}:${host.name}`;
}

function usersOf(host: Host): Promise<Map<string, InstanceUser>> {
  let users = passwdOf.get(host);
  if (users === undefined) {
    users = readPasswd(host);
    passwdOf.set(host, users);
    // A failed read is not remembered: the next command tries again.
    users.catch(() => passwdOf.delete(host));
  }
  return users;
}

async function readPasswd(host: Host): Promise<Map<string, InstanceUser>> {
  const path = host.api.path(instanceFileUrl(host.name, '/etc/passwd'));
  const response = await host.api.transport.request({ method: 'GET', path });
  const text = await response.body.text();
  const users = new Map<string, InstanceUser>();
  if (response.statusCode !== 200) return users;
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    users.set(name, { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' });
  }
  return users;
}
