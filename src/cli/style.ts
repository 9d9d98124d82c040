import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/** Colours for one output stream: none when it is not a terminal or NO_COLOR is set. */
export function painter(
  stream: NodeJS.WriteStream,
): (format: Format, text: string) => string {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const colored = stream.isTTY && !noColor && process.env.TERM !== 'dumb';
  return (format, text) => (colored ? styleText(format, text) : text);
}
