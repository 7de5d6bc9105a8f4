import { show } from './config/show.js';

/**
 * Characters a terminal acts on rather than shows: C0 controls but tab, DEL,
 * C1 controls (0x9b is a CSI on its own), the Unicode line separators and the
 * bidi overrides and isolates (text that reads differently from what it is).
 */
const ACTIVE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * A line as it may reach a terminal: whatever a file, a user or a peer put
 * in it, it prints as one line and moves no cursor, sets no color, rewrites
 * no title. ESC becomes `\x1b`, a line break `\n`; a tab stays a tab (it is
 * harmless and common in config files). Backslashes are left alone: this is
 * for reading; `--format json` is the exact form.
 */
export function escapeForTerminal(line: string): string {
  return line.replace(ACTIVE, visible);
}

/** Node and service names as sent: plain when they are plain, quoted and escaped (show) when not. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function showName(name: string): string {
  return PLAIN_NAME.test(name) ? name : show(name);
}

/** Paths as found or sent: plain when they are plain, quoted and escaped when not; long ones kept whole. */
const PLAIN_PATH = /^[A-Za-z0-9_./@+:,~-]{1,4096}$/;

export function showPath(p: string): string {
  return PLAIN_PATH.test(p) ? p : show(p, 4096);
}
