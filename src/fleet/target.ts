import { parseHostSpec } from '../config/host-spec.js';
import type { Family } from '../config/family.js';
import { HostSpecError } from '../errors.js';

/** A target: a host spec whose instance part may be a glob, or empty for all. */
export interface Target {
  /** The target as written. */
  readonly spec: string;
  readonly family: Family | undefined;
  readonly remote: string | undefined;
  /** A glob over instance names; `*` when the target names a whole remote. */
  readonly pattern: string;
  /** Whether the pattern is a plain name, which must exist. */
  readonly exact: boolean;
}

const globChars = /[*?[\]{}!]/;

/**
 * Parses `[@lxd_api/|@incus_api/][<remote>:]<instance or glob>` and `<remote>:`
 * (every instance of the remote). Pure; the remote is checked against the
 * configuration only when the targets are resolved.
 */
export function parseTarget(spec: string): Target {
  const colon = spec.lastIndexOf(':');
  const slash = spec.startsWith('@') ? spec.indexOf('/') : -1;
  const start = Math.max(colon, slash) + 1;
  const pattern = spec.slice(start);
  const wholeRemote = pattern === '' && colon !== -1;
  const glob = globChars.test(pattern);

  if (!wholeRemote && !glob) {
    const host = parseHostSpec(spec);
    return { ...host, pattern: host.instance, exact: true };
  }
  if (glob && /[^A-Za-z0-9*?[\]{}!,-]/.test(pattern)) {
    throw new HostSpecError(
      spec,
      `Target \`${spec}\` has a glob \`${pattern}\` with characters no instance name ` +
        'holds; use letters, digits, hyphens and * ? [ ] { } , !.',
    );
  }
  // The remote part is checked as in a host spec, with a stand-in instance name.
  const host = parseHostSpec(`${spec.slice(0, start)}x`);
  return {
    spec,
    family: host.family,
    remote: host.remote,
    pattern: wholeRemote ? '*' : pattern,
    exact: false,
  };
}
