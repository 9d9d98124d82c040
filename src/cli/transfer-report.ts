import type { MemberResult } from '../fleet/fleet.js';
import { reasonOf } from './summary.js';

/**
 * One member's end of a put or get: a JSON line with --json, else the local path
 * on stdout (for get) or the failure on stderr.
 */
export function reportTransfer(
  result: MemberResult<string>,
  json: boolean,
  showPath: boolean,
): void {
  const ok = result.status === 'ok';
  const label = result.member.label;
  if (json) {
    const record = {
      instance: label,
      ok,
      path: result.value ?? null,
      durationMs: Math.round(result.durationMs),
      error: ok ? null : reasonOf(result),
    };
    process.stdout.write(`${JSON.stringify(record)}\n`);
  } else if (!ok) {
    process.stderr.write(`${label}: ${reasonOf(result)}\n`);
  } else if (showPath) {
    process.stdout.write(`${label}: ${result.value ?? ''}\n`);
  }
}
