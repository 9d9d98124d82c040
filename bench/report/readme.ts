// The README's benchmark section, written by the run that measured it, so that the
// figures a reader sees are those of bench/results/latest.json and never a hand copy.
import { readFile, writeFile } from 'node:fs/promises';

import { format, resolveConfig } from 'prettier';

import type { BenchResults } from '../results.js';
import { clusterTable } from './cluster-table.js';
import { resultTables } from './table.js';

const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';

/** Replaces what stands between the bench markers of the README with this run. */
export async function updateReadme(file: string, results: BenchResults): Promise<void> {
  const text = await readFile(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(
      `${file} has no \`${start}\` … \`${end}\` pair: put one where the ` +
        'benchmark results belong, and run again.',
    );
  }
  const section = `${start}\n\n${resultsSection(results)}\n\n${end}`;
  const updated = text.slice(0, from) + section + text.slice(to + end.length);
  const options = await resolveConfig(file);
  await writeFile(file, await format(updated, { ...options, filepath: file }));
}

// The run's circumstances, every target with its verdict, then the tables.
function resultsSection(results: BenchResults): string {
  const { meta } = results;
  const servers = Object.values(meta.servers).join(' and ');
  const circumstances =
    `Measured on ${meta.date.slice(0, 10)}${meta.quick ? ' (a quick run)' : ''}, ` +
    `${servers}, Node.js ${meta.node}, ${meta.cpus} processors (${meta.cpuModel}); ` +
    `round trips through the proxy measured at ` +
    `${Object.values(meta.proxyRttMs)
      .map((rtt) => `${rtt} ms`)
      .join(', ')}; ${meta.notes.join('; ')}.`;
  const verdicts = results.verdicts.map((verdict) => {
    const mark =
      verdict.met === undefined ? 'not measured' : verdict.met ? 'met' : '**missed**';
    return `- ${verdict.server}: ${verdict.target}: ${mark}. ${verdict.figure}.`;
  });
  return [
    circumstances,
    '![exec latency against round-trip time](bench/results/exec-latency.svg)',
    'Targets:',
    verdicts.join('\n'),
    resultTables(results),
    ...(results.cluster === undefined || results.cluster.length === 0
      ? []
      : [
          `An instance of a cluster's second member:\n\n${clusterTable(results.cluster)}`,
        ]),
  ].join('\n\n');
}
