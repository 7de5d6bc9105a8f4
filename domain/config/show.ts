/**
 * How a user-supplied value appears inside a problem line: quoted, control
 * characters and line separators escaped (a problem is always one line), long
 * values cut so one bad line never floods the terminal.
 */
export function show(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Shown instead of a secret value: secrets never reach a message, a log or an event. */
export const HIDDEN = '(hidden)';
