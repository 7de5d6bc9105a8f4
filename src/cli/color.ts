/** Colors on a TTY only, unless --color yes|no says otherwise. */
export type ColorMode = 'auto' | 'yes' | 'no';

export interface Painter {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  grey(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

export function painter(mode: ColorMode, isTTY: boolean): Painter {
  const on = mode === 'yes' || (mode === 'auto' && isTTY);
  if (!on) return { bold: plain, green: plain, red: plain, yellow: plain, grey: plain };
  return { bold: wrap('1'), green: wrap('32'), red: wrap('31'), yellow: wrap('33'), grey: wrap('90') };
}

export function colorMode(v: string | undefined): ColorMode {
  if (v === undefined || v === 'auto') return 'auto';
  if (v === 'yes' || v === 'always') return 'yes';
  if (v === 'no' || v === 'never') return 'no';
  return 'auto';
}
