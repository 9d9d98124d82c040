import { NotFoundError } from '../api/errors.js';
import { readFile } from '../api/files.js';
import { LxdApiError } from '../errors.js';
import { FileOptionError } from './file-errors.js';
import type { FileContext } from './file-failure.js';
import type { Host } from './host.js';
import { lookupUser } from './users.js';

/** An owner or group as the caller gives it: a numeric id, or a name in the instance. */
export type OwnerId = number | string;

/** A group name that the instance does not know. */
export class UnknownGroupError extends LxdApiError {
  readonly group: string;
  readonly host: string;

  constructor(group: string, host: string) {
    super(
      'LXDAPI_UNKNOWN_GROUP',
      `Group \`${group}\` is not in /etc/group of ${host}; create it there, or give a ` +
        'numeric gid.',
    );
    this.group = group;
    this.host = host;
  }
}

/**
 * Turns `uid` and `gid` (numbers, or names read once per host from the instance's
 * /etc/passwd and /etc/group) into numbers; what is not given stays undefined.
 */
export async function resolveOwner(
  host: Host,
  owner: { readonly uid?: OwnerId; readonly gid?: OwnerId },
  context: FileContext,
): Promise<{ uid?: number; gid?: number }> {
  const uid = await resolveId(owner.uid, 'uid', context, async (name) => {
    return (await lookupUser(host, name)).uid;
  });
  const gid = await resolveId(owner.gid, 'gid', context, async (name) => {
    const found = (await groupsOf(host)).get(name);
    if (found === undefined) throw new UnknownGroupError(name, context.host);
    return found;
  });
  return {
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
  };
}

/** Checks a mode: permission bits, with setuid, setgid and sticky allowed. */
export function checkMode(mode: number | undefined, context: FileContext): void {
  if (mode === undefined) return;
  const where = `given to ${context.operation} of \`${context.path}\` on ${context.host}`;
  if (!(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777)) {
    throw new FileOptionError(
      `mode ${String(mode)} ${where} is not a file mode; give a number from 0 to ` +
        '0o7777, such as 0o644.',
      { ...context, option: 'mode' },
    );
  }
  // `mode: 644` is decimal 644, which is 0o1204: the sticky bit and -w----r--.
  // Written that way, 600 to 777 almost surely meant the octal mode, so they are
  // refused rather than sent. (Below 0o1000 the two readings cannot be told apart.)
  if (mode >= 0o1000 && /^[0-7]{3}$/.test(String(mode))) {
    throw new FileOptionError(
      `mode ${mode} ${where} is decimal ${mode}, which is 0o${mode.toString(8)} ` +
        `(with the sticky bit): an octal mode written without its prefix. Write ` +
        `0o${mode}.`,
      { ...context, option: 'mode' },
    );
  }
}

async function resolveId(
  value: OwnerId | undefined,
  option: 'uid' | 'gid',
  context: FileContext,
  byName: (name: string) => Promise<number>,
): Promise<number | undefined> {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '' && !value.includes(':')) {
    return byName(value);
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new FileOptionError(
    `${option} ${JSON.stringify(value)} given to ${context.operation} of ` +
      `\`${context.path}\` on ${context.host} is neither an id (an integer ≥ 0) ` +
      `nor a ${option === 'uid' ? 'user' : 'group'} name.`,
    { ...context, option },
  );
}

// One read of /etc/group per host, shared by every call that names a group.
const groupsByHost = new WeakMap<Host, Promise<Map<string, number>>>();

function groupsOf(host: Host): Promise<Map<string, number>> {
  let groups = groupsByHost.get(host);
  if (groups === undefined) {
    groups = readGroups(host);
    groupsByHost.set(host, groups);
    // A failed read is not remembered: the next call tries again.
    groups.catch(() => groupsByHost.delete(host));
  }
  return groups;
}

async function readGroups(host: Host): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  const read = await readFile(host.api, host.name, '/etc/group').catch(
    (error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    },
  );
  if (read === undefined) return groups;
  if (read.kind !== 'content') return groups;
  const text = await read.body.text();
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === undefined || gid === undefined || gid === '') continue;
    groups.set(name, Number(gid));
  }
  return groups;
}
