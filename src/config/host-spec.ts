import { HostSpecError } from '../errors.js';
import { familyFacts, type Family } from './family.js';

/** A host spec taken apart: which family, which remote, which instance. */
export interface HostSpec {
  /** The host spec as written. */
  readonly spec: string;
  /** Set by a `@lxd_api/` or `@incus_api/` prefix; undefined when bare. */
  readonly family: Family | undefined;
  /** The remote before the colon; undefined for the default remote. */
  readonly remote: string | undefined;
  /** The instance name. */
  readonly instance: string;
}

/** Parses `[@lxd_api/|@incus_api/][<remote>:]<instance>`; pure, reads no config. */
export function parseHostSpec(spec: string): HostSpec {
  if (spec === '') {
    throw new HostSpecError(
      spec,
      'The host spec is empty; write `<instance>` or `<remote>:<instance>`.',
    );
  }

  const { family, prefix, rest } = splitFamily(spec);
  const parts = rest.split(':');
  if (parts.length > 2) {
    throw new HostSpecError(
      spec,
      `Host spec \`${spec}\` has ${parts.length - 1} colons; write ` +
        `\`${prefix}<remote>:<instance>\` with one colon (instance names have none).`,
    );
  }

  const [first = '', second] = parts;
  const remote = second === undefined ? undefined : first;
  const instance = second ?? first;
  checkParts(spec, prefix, remote, instance);
  if (remote !== undefined) checkRemoteName(spec, remote, family);
  checkInstanceName(spec, instance, family);
  return { spec, family, remote, instance };
}

/**
 * Why `name` cannot be a remote name in a host spec, or undefined when it can.
 *
 * Note: `lxc remote add` refuses only colons, but a `/` would escape the
 * `servercerts/` folder and whitespace cannot survive a shell, so both are refused.
 */
export function remoteNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  const bad = /[:/\s\p{Cc}]/u.exec(name)?.[0];
  if (bad !== undefined) {
    return `contains ${describeChar(bad)}, which a remote name cannot hold`;
  }
  return undefined;
}

const familyOfPrefix: Readonly<Record<string, Family>> = {
  lxd_api: 'lxd',
  incus_api: 'incus',
};

const maxInstanceName = 63;

function splitFamily(spec: string): {
  family: Family | undefined;
  prefix: string;
  rest: string;
} {
  if (!spec.startsWith('@')) return { family: undefined, prefix: '', rest: spec };

  const slash = spec.indexOf('/');
  if (slash === -1) {
    throw new HostSpecError(
      spec,
      `Host spec \`${spec}\` starts with \`@\` but has no \`/\` after the family; ` +
        'write `@lxd_api/<remote>:<instance>` or `@incus_api/<remote>:<instance>`.',
    );
  }

  const name = spec.slice(1, slash);
  const rest = spec.slice(slash + 1);
  const family = Object.hasOwn(familyOfPrefix, name) ? familyOfPrefix[name] : undefined;
  if (family === undefined) {
    throw new HostSpecError(
      spec,
      `Host spec \`${spec}\` starts with \`@${name}/\`, which is not a family prefix; ` +
        `write \`@lxd_api/${rest}\` or \`@incus_api/${rest}\`, or drop the prefix.`,
    );
  }
  return { family, prefix: `@${name}/`, rest };
}

function checkParts(
  spec: string,
  prefix: string,
  remote: string | undefined,
  instance: string,
): void {
  if (remote === '' && instance === '') {
    throw new HostSpecError(
      spec,
      `Host spec \`${spec}\` names neither a remote nor an instance; write ` +
        `\`${prefix}<remote>:<instance>\` or \`${prefix}<instance>\`.`,
    );
  }
  if (remote === '') {
    throw new HostSpecError(
      spec,
      `Host spec \`${spec}\` has an empty remote name before the colon; write ` +
        `\`${prefix}${instance}\` for the default remote or ` +
        `\`${prefix}<remote>:${instance}\`.`,
    );
  }
  if (instance === '') {
    const fix =
      remote === undefined
        ? `\`${prefix}<instance>\` or \`${prefix}<remote>:<instance>\``
        : `\`${prefix}${remote}:<instance>\``;
    const what =
      remote === undefined ? 'no instance' : `remote \`${remote}\` but no instance`;
    throw new HostSpecError(spec, `Host spec \`${spec}\` names ${what}; write ${fix}.`);
  }
}

function checkRemoteName(spec: string, remote: string, family: Family | undefined): void {
  const problem = remoteNameProblem(remote);
  if (problem === undefined) return;
  throw new HostSpecError(
    spec,
    `Remote name \`${remote}\` in host spec \`${spec}\` ${problem}; ` +
      `rename the remote with ${clientCommand(family, 'remote rename')}.`,
  );
}

// Instance names are hostnames, as the servers check them (`validate.IsHostname`).
// LXD 5.0 also refused a leading digit; LXD 5.18+ and Incus accept one and refuse
// only names made of digits, so a name any supported server may hold passes here.
function checkInstanceName(spec: string, name: string, family: Family | undefined): void {
  const problem = instanceNameProblem(name);
  if (problem === undefined) return;
  const where = spec === name ? '' : ` in host spec \`${spec}\``;
  throw new HostSpecError(
    spec,
    `Instance name \`${name}\`${where} ${problem}; ` +
      `check the name with ${clientCommand(family, 'list')}.`,
  );
}

function instanceNameProblem(name: string): string | undefined {
  const bad = /[^A-Za-z0-9-]/u.exec(name)?.[0];
  if (bad !== undefined) {
    const rule = 'instance names use ASCII letters, digits and hyphens';
    return `contains ${describeChar(bad)}: ${rule}`;
  }
  if (name.length > maxInstanceName) {
    const rule = `instance names have at most ${maxInstanceName}`;
    return `is ${name.length} characters long: ${rule}`;
  }
  if (name.startsWith('-')) {
    return 'starts with `-`: instance names start with a letter or digit';
  }
  if (name.endsWith('-')) {
    return 'ends with `-`: instance names end with a letter or digit';
  }
  if (/^[0-9]+$/u.test(name)) {
    return 'is a number: instance names need a letter or a hyphen';
  }
  return undefined;
}

function clientCommand(family: Family | undefined, command: string): string {
  if (family !== undefined) return `\`${familyFacts[family].client} ${command}\``;
  return `\`lxc ${command}\` or \`incus ${command}\``;
}

function describeChar(char: string): string {
  if (char === ' ') return 'a space';
  if (/[\s\p{Cc}]/u.test(char)) {
    const code = char.codePointAt(0) ?? 0;
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `\`${char}\``;
}
