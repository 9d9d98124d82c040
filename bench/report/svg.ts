// The exec sweep as an SVG line chart, written by hand: one panel per server, with
// our exec, the real client's, and the lower bound, against the round-trip time.
import { lowerBound, type SweepPoint } from './pairs.js';

/** One line of a panel. */
interface Series {
  readonly name: string;
  readonly colour: string;
  readonly dashed: boolean;
  readonly points: readonly (readonly [number, number])[];
}

const width = 940;
const height = 460;
const margin = { top: 84, right: 24, bottom: 56, left: 64 };
const gap = 56;
const panelWidth = (width - margin.left - margin.right - gap) / 2;
const plotHeight = height - margin.top - margin.bottom;

/** The chart, as a standalone SVG document. */
export function execLatencyChart(
  sweep: readonly SweepPoint[],
  titles: Readonly<Record<string, string>>,
  note: string,
): string {
  const panels = (['lxd', 'incus'] as const).map((server) => seriesOf(sweep, server));
  const all = panels.flat().flatMap((series) => series.points.map(([, y]) => y));
  const yMax = niceCeiling(Math.max(100, ...all));
  const xMax = Math.max(1, ...sweep.map((point) => point.rttMs));
  const body = panels
    .map((series, index) => {
      const left = margin.left + index * (panelWidth + gap);
      const title = titles[index === 0 ? 'lxd' : 'incus'] ?? '';
      return panel(series, title, left, xMax, yMax);
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" ` +
      `font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" ` +
      `font-weight="bold">exec true: median latency against round-trip time</text>`,
    `<text x="${width / 2}" y="42" text-anchor="middle" fill="#555555">${note}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function seriesOf(sweep: readonly SweepPoint[], server: 'lxd' | 'incus'): Series[] {
  const client = server === 'lxd' ? 'lxc exec' : 'incus exec';
  const points = (pick: (point: SweepPoint) => number | undefined) =>
    sweep.flatMap((point) => {
      const value = pick(point);
      return value === undefined ? [] : [[point.rttMs, value] as const];
    });
  return [
    {
      name: client,
      colour: '#c0392b',
      dashed: false,
      points: points((p) => p[server].client),
    },
    {
      name: 'lxd-api (library)',
      colour: '#1f5fa8',
      dashed: false,
      points: points((p) => p[server].ours),
    },
    {
      name: 'lower bound: 2 round trips + server time',
      colour: '#555555',
      dashed: true,
      points: points((p) => lowerBound(sweep, server, p.rttMs)),
    },
  ];
}

function panel(
  series: readonly Series[],
  title: string,
  left: number,
  xMax: number,
  yMax: number,
): string {
  const x = (value: number) => left + (value / xMax) * panelWidth;
  const y = (value: number) => margin.top + plotHeight - (value / yMax) * plotHeight;
  const bottom = margin.top + plotHeight;
  const parts: string[] = [
    `<text x="${left + panelWidth / 2}" y="${margin.top - 14}" text-anchor="middle" ` +
      `font-size="14" font-weight="bold">${title}</text>`,
  ];

  for (const tick of ticks(yMax)) {
    parts.push(
      `<line x1="${left}" x2="${left + panelWidth}" y1="${y(tick)}" y2="${y(tick)}" ` +
        `stroke="#e4e4e4"/>`,
      `<text x="${left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`,
    );
  }
  for (const tick of ticks(xMax)) {
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${bottom}" y2="${bottom + 5}" ` +
        `stroke="#333333"/>`,
      `<text x="${x(tick)}" y="${bottom + 19}" text-anchor="middle">${tick}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${left + panelWidth}" y1="${bottom}" y2="${bottom}" ` +
      `stroke="#333333"/>`,
    `<line x1="${left}" x2="${left}" y1="${margin.top}" y2="${bottom}" ` +
      `stroke="#333333"/>`,
    `<text x="${left + panelWidth / 2}" y="${bottom + 42}" text-anchor="middle">` +
      'round-trip time (ms)</text>',
    `<text transform="translate(${left - 48} ${margin.top + plotHeight / 2}) ` +
      `rotate(-90)" text-anchor="middle">latency (ms)</text>`,
  );

  series.forEach((line, index) => {
    const path = line.points.map(([px, py]) => `${x(px)},${y(py)}`).join(' ');
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${line.colour}" ` +
        `stroke-width="2"${dash}/>`,
      ...line.points.map(([px, py]) => dot(x(px), y(py), line.colour)),
    );
    const last = line.points.at(-1);
    if (last !== undefined && !line.dashed) {
      parts.push(
        `<text x="${x(last[0]) - 6}" y="${y(last[1]) - 8}" text-anchor="end" ` +
          `fill="${line.colour}">${Math.round(last[1])} ms</text>`,
      );
    }
    // The top left of a panel stays empty: every line starts low.
    const legendY = margin.top + 16 + index * 18;
    const legendX = left + 14;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY}" y2="${legendY}" ` +
        `stroke="${line.colour}" stroke-width="2"${dash}/>`,
      `<text x="${legendX + 22}" y="${legendY + 4}" font-size="11">${line.name}</text>`,
    );
  });
  return `<g>\n${parts.join('\n')}\n</g>`;
}

function dot(cx: number, cy: number, colour: string): string {
  return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`;
}

// A round number above `value` for the top of an axis: 1, 2 or 5 times a power of 10.
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((each) => each * power >= value) ?? 10;
  return step * power;
}

// About five ticks at round steps from 0 to `max`.
function ticks(max: number): number[] {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((each) => each * power >= rough) ?? 10) * power;
  const values: number[] = [];
  for (let tick = 0; tick <= max + 1e-9; tick += step) values.push(Math.round(tick));
  return values;
}
