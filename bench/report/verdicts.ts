// The targets of the benchmarks, judged on a run's measurements: each as a ratio or
// a round-trip count, met or missed, with the figures it rests on.
import type { BenchResults, Measurement, Verdict } from '../results.js';
import { oursAt, pairOf } from './pairs.js';

/**
 * The loads of the transfers: whole ones at 0 ms, and at 26 ms the samples the
 * clients move there (they would take minutes on the whole).
 */
export interface Sizes {
  readonly bytes: number;
  readonly sampleBytes: number;
  readonly files: number;
  readonly sampleFiles: number;
}

/** The round-trip time the targets name. */
const wan = 26;

/** Every target, for each server. */
export function judge(results: Omit<BenchResults, 'verdicts'>, sizes: Sizes): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const server of ['lxd', 'incus'] as const) {
    const judged = new Judge({ ...results, verdicts: [] }, server);
    verdicts.push(
      ...judged.exec(),
      ...judged.session(),
      ...judged.connects(),
      ...judged.smallFiles(),
      ...judged.largeFiles(sizes),
      judged.trees(sizes),
      judged.fanOut(),
    );
  }
  // The target is the command's own start-up: from the moment Node.js runs its
  // first module to its first request. Node's start before that is no code of
  // ours, and on these machines it alone takes about as long as the target.
  const { totalMs, nodeMs, ownMs, runs } = results.startup;
  if (runs > 0)
    verdicts.push({
      target: "the CLI's own start-up before its first request: under 100 ms",
      server: 'both',
      met: ownMs < 100,
      figure:
        `${ownMs} ms ours, after ${nodeMs} ms of Node.js's own start ` +
        `(${totalMs} ms from spawn)`,
    });
  return verdicts;
}

class Judge {
  readonly #results: BenchResults;
  readonly #server: 'lxd' | 'incus';
  readonly #client: string;

  constructor(results: BenchResults, server: 'lxd' | 'incus') {
    this.#results = results;
    this.#server = server;
    this.#client = server === 'lxd' ? 'lxc' : 'incus';
  }

  exec(): Verdict[] {
    const zero = this.#ours('exec-true', 0);
    const far = this.#ours('exec-true', wan);
    const theirs = far && pairOf(this.#results, far);
    const cli = this.#ours('cli-exec', wan);
    if (zero === undefined || far === undefined) {
      return [this.#missing('exec: 2 round trips, within 15% of the lower bound')];
    }
    const bound = zero.medianMs + 2 * wan;
    const verdicts: Verdict[] = [
      {
        ...this.#verdict('exec: at most 2 round trips plus server time'),
        met: far.counts.roundTrips <= 2,
        figure: `${far.counts.roundTrips} counted; ${this.#byTime('exec-true')} by time`,
      },
      {
        ...this.#verdict('exec: within 15% of the lower bound at 26 ms'),
        met: far.medianMs <= 1.15 * bound,
        figure:
          `${ratio(far.medianMs, bound)} the bound (${ms(far.medianMs)} ms against ` +
          `${ms(zero.medianMs)} + 2 × 26 = ${ms(bound)} ms)`,
      },
    ];
    if (theirs !== undefined) {
      const process =
        cli === undefined
          ? ''
          : `; our CLI as a process: ` +
            `${ratio(theirs.medianMs, cli.medianMs)} (${ms(cli.medianMs)} ms)`;
      verdicts.push({
        ...this.#verdict(`exec: at least 8 times faster than \`${this.#client} exec\``),
        met: theirs.medianMs >= 8 * far.medianMs,
        figure:
          `${ratio(theirs.medianMs, far.medianMs)} (${ms(theirs.medianMs)} ms against ` +
          `${ms(far.medianMs)} ms)${process}`,
      });
    }
    return verdicts;
  }

  session(): Verdict[] {
    const record = {
      zero: this.#ours('exec-true', 0),
      far: this.#ours('exec-true', wan),
    };
    const zero = this.#ours('session-true', 0);
    const far = this.#ours('session-true', wan);
    const open = this.#ours('session-open', wan);
    const targets = [
      'session: a command at 26 ms in at most 1 round trip plus 5 ms',
      'session: at least 3 times faster than record-output at 26 ms',
      'session: at least 10 times faster than record-output at 0 ms',
      'session: set-up cost per host at 26 ms',
    ];
    if (zero === undefined || far === undefined || open === undefined) {
      return targets.map((target) => this.#missing(target));
    }
    // The proxy's own round trip as measured, which is what one round trip costs.
    const rtt = this.#results.meta.proxyRttMs[String(wan)] ?? wan;
    const [perCommand = '', atWan = '', atZero = '', setUp = ''] = targets;
    // The proxy counts turns per connection, and a session writes on one socket
    // (stdin) and hears on two others: its round trips are read off the clock.
    const byTime = (far.medianMs - zero.medianMs) / rtt;
    const verdicts: Verdict[] = [
      {
        ...this.#verdict(perCommand),
        met: far.medianMs <= rtt + 5,
        figure:
          `${ms1(far.medianMs)} ms against ${ms1(rtt)} + 5 ms; ` +
          `${byTime.toFixed(2)} round trips by time`,
      },
    ];
    for (const [target, mine, theirs, wanted] of [
      [atWan, far, record.far, 3],
      [atZero, zero, record.zero, 10],
    ] as const) {
      verdicts.push(
        theirs === undefined
          ? this.#missing(target)
          : {
              ...this.#verdict(target),
              met: theirs.medianMs >= wanted * mine.medianMs,
              figure:
                `${ratio(theirs.medianMs, mine.medianMs)} (${ms1(mine.medianMs)} ms ` +
                `against ${ms1(theirs.medianMs)} ms)`,
            },
      );
    }
    const zeroOpen = this.#ours('session-open', 0);
    verdicts.push({
      ...this.#verdict(setUp),
      met: true,
      figure:
        `${ms(open.medianMs)} ms, ${open.counts.roundTrips} round trips ` +
        `(${open.counts.connections} TCP); ${zeroOpen ? ms(zeroOpen.medianMs) : '—'} ms ` +
        'at 0 ms',
    });
    return verdicts;
  }

  connects(): Verdict[] {
    return (
      [
        ['connect-cold', 3, 'connect, cold: 3 round trips'],
        ['connect-second', 1, 'connect another instance: 1 round trip'],
      ] as const
    ).map(([scenario, wanted, target]) => this.#roundTrips(scenario, wanted, target));
  }

  smallFiles(): Verdict[] {
    return [
      this.#roundTrips('put-small', 1, 'put 100 B: 1 round trip'),
      this.#roundTrips('get-small', 1, 'get 100 B: 1 round trip'),
    ];
  }

  largeFiles(sizes: Sizes): Verdict[] {
    const verdicts: Verdict[] = [];
    for (const [scenario, verb] of [
      ['put-large', 'push'],
      ['get-large', 'pull'],
    ] as const) {
      const command = `\`${this.#client} file ${verb}\``;
      const target = `large file: at least the throughput of ${command}`;
      const pairs = [
        { rtt: 0, bytes: sizes.bytes },
        { rtt: wan, bytes: sizes.sampleBytes },
      ].map(({ rtt, bytes }) => {
        const mine = this.#ours(scenario, rtt, { bytes });
        return { rtt, bytes, mine, theirs: mine && pairOf(this.#results, mine) };
      });
      if (pairs.some((pair) => pair.theirs === undefined)) {
        verdicts.push(this.#missing(target));
        continue;
      }
      verdicts.push({
        ...this.#verdict(target),
        met: pairs.every(
          (pair) => (pair.mine?.medianMs ?? 0) <= (pair.theirs?.medianMs ?? 0),
        ),
        figure: pairs
          .map(
            ({ rtt, bytes, mine, theirs }) =>
              `${rate(mine)} against ${rate(theirs)} MB/s, ` +
              `${mebibytes(bytes)} at ${rtt} ms`,
          )
          .join('; '),
      });
    }
    const big = ['put-large', 'get-large', 'put-tree', 'get-tree'];
    const peaks = big.flatMap((scenario) =>
      this.#results.measurements
        .filter((each) => this.#isOurs(each) && each.scenario === scenario)
        .map((each) => each.peakMemoryMiB ?? 0),
    );
    verdicts.push(
      peaks.length === 0
        ? this.#missing('large files and trees: peak memory under 64 MiB')
        : {
            ...this.#verdict(
              'large files and trees: peak memory under 64 MiB above idle',
            ),
            met: Math.max(...peaks) < 64,
            figure: `at most ${Math.round(Math.max(...peaks))} MiB`,
          },
    );
    return verdicts;
  }

  // On the whole tree with no delay, and on the sample tree at 26 ms: the clients
  // move only the sample there, several round trips a file.
  trees(sizes: Sizes): Verdict {
    const target = `tree: at least 5 times faster than \`${this.#client} file push -r\``;
    const points = [
      { rtt: 0, files: sizes.files },
      { rtt: wan, files: sizes.sampleFiles },
    ].map(({ rtt, files }) => {
      const mine = this.#ours('put-tree', rtt, { files });
      return { rtt, files, mine, theirs: mine && pairOf(this.#results, mine) };
    });
    const ratios = points.map(({ mine, theirs }) =>
      mine && theirs ? theirs.medianMs / mine.medianMs : undefined,
    );
    if (ratios.some((each) => each === undefined)) return this.#missing(target);
    return {
      ...this.#verdict(target),
      met: ratios.every((each) => (each ?? 0) >= 5),
      figure: points
        .map(
          ({ rtt, files, mine, theirs }) =>
            `${ratio(theirs?.medianMs ?? 0, mine?.medianMs ?? 1)} on ${files} files ` +
            `at ${rtt} ms (${ms(mine?.medianMs ?? 0)} against ` +
            `${ms(theirs?.medianMs ?? 0)} ms)`,
        )
        .join('; '),
    };
  }

  fanOut(): Verdict {
    const target = 'fan-out over 30: under twice the single-instance latency';
    const points = [0, wan].map((rtt) => ({
      rtt,
      fan: this.#ours('fan-out-30', rtt),
      one: this.#ours('exec-true', rtt),
    }));
    if (points.some(({ fan, one }) => fan === undefined || one === undefined)) {
      return this.#missing(target);
    }
    const ratios = points.map(
      ({ fan, one }) => (fan?.medianMs ?? 0) / (one?.medianMs ?? 1),
    );
    const busy = points[0]?.fan?.cpu;
    const load =
      busy === undefined
        ? ''
        : `; at 0 ms the processors were ${percent(busy.machineBusy)} busy during ` +
          `it, ${percent(busy.ours)} with this process (client and proxy)`;
    const control = [0, wan]
      .map((rtt) => ({
        rtt,
        many: this.#ours('fan-out-get-30', rtt),
        one: this.#ours('fan-out-get-1', rtt),
      }))
      .filter(({ many, one }) => many !== undefined && one !== undefined)
      .map(
        ({ rtt, many, one }) =>
          `${((many?.medianMs ?? 0) / (one?.medianMs ?? 1)).toFixed(2)}× at ${rtt} ms`,
      );
    const controlNote =
      control.length === 0
        ? ''
        : `; control, an instance read over 30 against one, which starts nothing in them: ` +
          control.join(', ');
    return {
      ...this.#verdict(target),
      met: ratios.every((each) => each < 2),
      figure:
        points
          .map(
            ({ rtt, fan, one }, index) =>
              `${(ratios[index] ?? 0).toFixed(2)}× at ${rtt} ms ` +
              `(${ms(fan?.medianMs ?? 0)} against ${ms(one?.medianMs ?? 0)} ms)`,
          )
          .join('; ') +
        load +
        controlNote,
    };
  }

  #roundTrips(
    scenario: Measurement['scenario'],
    wanted: number,
    target: string,
  ): Verdict {
    const far = this.#ours(scenario, wan);
    if (far === undefined) return this.#missing(target);
    const { roundTrips, connections, turns } = far.counts;
    return {
      ...this.#verdict(target),
      met: roundTrips <= wanted,
      figure:
        `${roundTrips} counted (${connections} TCP + ${turns} turns); ` +
        `${this.#byTime(scenario)} by time`,
    };
  }

  // Round trips as the clock sees them: what 26 ms of round trip added, over 26.
  #byTime(scenario: Measurement['scenario']): string {
    const zero = this.#ours(scenario, 0);
    const far = this.#ours(scenario, wan);
    if (zero === undefined || far === undefined) return '—';
    return ((far.medianMs - zero.medianMs) / wan).toFixed(1);
  }

  #ours(
    scenario: Measurement['scenario'],
    rtt: number,
    load: { files?: number; bytes?: number } = {},
  ): Measurement | undefined {
    return oursAt(this.#results, this.#server, scenario, rtt, load);
  }

  #isOurs(measurement: Measurement): boolean {
    return measurement.server === this.#server && measurement.tool.startsWith('lxd-api');
  }

  #verdict(target: string): Pick<Verdict, 'target' | 'server'> {
    return { target, server: this.#server };
  }

  #missing(target: string): Verdict {
    const verdict = this.#verdict(target);
    return { ...verdict, met: undefined, figure: '—', why: 'not measured' };
  }
}

function ratio(numerator: number, denominator: number): string {
  return `${(numerator / denominator).toFixed(2)}×`;
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function ms(value: number): string {
  return String(Math.round(value));
}

function ms1(value: number): string {
  return value.toFixed(1);
}

function rate(measurement: Measurement | undefined): string {
  if (measurement?.bytes === undefined) return '—';
  return (measurement.bytes / 1e6 / (measurement.medianMs / 1000)).toFixed(0);
}
