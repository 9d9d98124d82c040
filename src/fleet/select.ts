import picomatch from 'picomatch';

import type { Instance } from '../api/api-client.js';

/** Filters over the live instance list; every one given must match. */
export interface InstanceFilter {
  /** Instance statuses, compared without case (`running`, `stopped`, …). */
  readonly status?: readonly string[];
  /** `container` or `virtual-machine`. */
  readonly type?: 'container' | 'virtual-machine';
  /** Profiles the instance must have. */
  readonly profiles?: readonly string[];
  /** Config keys and the values they must have, such as `user.role` = `web`. */
  readonly config?: Readonly<Record<string, string>>;
}

/** Whether an instance passes every filter given. */
export function passesFilter(instance: Instance, filter: InstanceFilter): boolean {
  if (filter.status !== undefined && filter.status.length > 0) {
    const status = instance.status.toLowerCase();
    if (!filter.status.some((wanted) => wanted.toLowerCase() === status)) return false;
  }
  if (filter.type !== undefined && instance.type !== filter.type) return false;
  for (const profile of filter.profiles ?? []) {
    if (!instance.profiles.includes(profile)) return false;
  }
  for (const [key, value] of Object.entries(filter.config ?? {})) {
    if (instance.config[key] !== value) return false;
  }
  return true;
}

/** A matcher for an instance-name glob. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  return picomatch(pattern, { dot: true });
}

/**
 * Parses `key=value` config filters; an error message names the bad one, or
 * undefined when all are well formed.
 */
export function parseConfigFilters(
  pairs: readonly string[],
): { config: Record<string, string> } | { error: string } {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) {
      return {
        error: `config filter \`${pair}\` is not KEY=VALUE, such as user.role=web`,
      };
    }
    config[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return { config };
}
