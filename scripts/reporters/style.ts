/** Terminal colours, only when the stream is a terminal and NO_COLOR is unset. */
export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const colours: Style = {
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
  cyan: wrap(36, 39),
};
const identity = (s: string) => s;
export const plain: Style = {
  red: identity,
  yellow: identity,
  dim: identity,
  bold: identity,
  cyan: identity,
};

export function styleFor(stream: { isTTY?: boolean }): Style {
  return stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb' ? colours : plain;
}
