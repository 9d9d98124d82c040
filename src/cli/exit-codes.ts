/** The exit codes of `lxd-api`, as `--help` and the README document them. */
export const exitCodes = {
  /** Every instance succeeded. */
  ok: 0,
  /** At least one instance failed, timed out or could not be reached. */
  failed: 1,
  /** Bad usage or configuration: nothing was run. */
  usage: 2,
  /** The targets matched no instance. */
  noMatch: 3,
} as const;

export const exitCodeHelp = `Exit codes:
  0  every instance succeeded
  1  some instance failed, timed out or could not be reached
  2  usage or configuration error (nothing was run)
  3  the targets matched no instance`;
