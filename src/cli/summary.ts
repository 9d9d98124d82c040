import type { MemberResult } from '../fleet/fleet.js';
import type { RunResult } from '../host/run.js';
import { describeError } from './describe-error.js';

/** How one member's result reads in a summary. */
export type Outcome =
  'succeeded' | 'failed' | 'timed out' | 'could not connect' | 'skipped';

/** Sorts a result into the summary's buckets. */
export function outcomeOf(result: MemberResult<unknown>): Outcome {
  if (result.status === 'ok') return 'succeeded';
  if (result.status === 'unreachable') return 'could not connect';
  if (result.status === 'skipped') return 'skipped';
  const value = result.value as Partial<RunResult> | undefined;
  return value?.timedOut === true ? 'timed out' : 'failed';
}

/** Why a member did not succeed, in one line. */
export function reasonOf(result: MemberResult<unknown>): string {
  if (result.error !== undefined) return describeError(result.error);
  const value = result.value as Partial<RunResult> | undefined;
  if (value?.timedOut === true) return 'timed out and was killed';
  if (value?.exitCode !== undefined) {
    const detail =
      String(value.stderr ?? '')
        .trim()
        .split('\n')[0] ?? '';
    return `exit ${value.exitCode}${detail === '' ? '' : `: ${detail.slice(0, 120)}`}`;
  }
  return 'skipped after an earlier failure (--fail-fast)';
}

/** The summary lines: counts, then each member that did not succeed, then the slowest. */
export function summaryLines(
  results: readonly MemberResult<unknown>[],
  missing: readonly { readonly target: string; readonly where: string }[],
  elapsedMs: number,
): string[] {
  const counts = new Map<Outcome, number>();
  for (const result of results) {
    const outcome = outcomeOf(result);
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const count = (outcome: Outcome) => counts.get(outcome) ?? 0;
  const parts = [
    `${count('succeeded')} succeeded`,
    `${count('failed') + missing.length} failed`,
    `${count('timed out')} timed out`,
    `${count('could not connect')} could not connect`,
  ];
  if (count('skipped') > 0) parts.push(`${count('skipped')} skipped`);
  const total = results.length + missing.length;
  const lines = [
    `${parts.join(', ')} (${total} ${total === 1 ? 'instance' : 'instances'}, ` +
      `${seconds(elapsedMs)})`,
  ];

  for (const result of results) {
    const outcome = outcomeOf(result);
    if (outcome === 'succeeded') continue;
    lines.push(`  ${outcome}: ${result.member.label}: ${reasonOf(result)}`);
  }
  for (const each of missing)
    lines.push(`  failed: ${each.target}: not found on ${each.where}`);

  if (results.length > 1) {
    const slowest = [...results]
      .filter((result) => result.status !== 'skipped')
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, 3)
      .map((result) => `${result.member.label} ${Math.round(result.durationMs)} ms`);
    lines.push(`  slowest: ${slowest.join(', ')}`);
  }
  return lines;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
