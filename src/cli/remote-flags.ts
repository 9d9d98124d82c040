import { AuthenticationError } from '../api/errors.js';
import type { Family } from '../config/family.js';
import {
  ExpiredTokenError,
  FingerprintMismatchError,
  InvalidTokenError,
  ProjectChoiceError,
  RejectedTokenError,
  UnknownCertificateError,
} from '../enrol/errors.js';
import { describeError } from './describe-error.js';
import { exitCodes } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** The flags every `lxd-api remote` command takes. */
export interface RemoteFlags {
  /** Work on the `incus` client configuration. */
  readonly incus?: boolean;
  /** Work on the `lxc` client configuration. */
  readonly lxd?: boolean;
  readonly json?: boolean;
  /** The program's --debug, passed down. */
  readonly debug?: boolean;
}

/** The client configuration `--lxd` or `--incus` names; undefined for neither. */
export function familyOf(flags: RemoteFlags): Family | undefined {
  if (flags.incus === true && flags.lxd === true) {
    throw new UsageError('--lxd and --incus name different configurations: give one.');
  }
  if (flags.incus === true) return 'incus';
  return flags.lxd === true ? 'lxd' : undefined;
}

/**
 * Runs a `remote` command. The failures that a corrected command line, token or
 * fingerprint can fix exit 2 like usage errors, with one line on stderr; the
 * others (an unreachable server, a broken connection) go to the program's
 * handler, which exits 1.
 */
export async function runRemoteCommand(
  flags: RemoteFlags,
  command: () => Promise<number> | number,
): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (!fixableByUser(error)) throw error;
    process.stderr.write(`lxd-api: ${describeError(error)}\n`);
    if (flags.debug === true && error instanceof Error && error.stack !== undefined) {
      process.stderr.write(`${error.stack}\n`);
    }
    return exitCodes.usage;
  }
}

function fixableByUser(error: unknown): boolean {
  return [
    InvalidTokenError,
    ExpiredTokenError,
    RejectedTokenError,
    FingerprintMismatchError,
    UnknownCertificateError,
    ProjectChoiceError,
    AuthenticationError,
  ].some((type) => error instanceof type);
}
