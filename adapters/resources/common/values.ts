/**
 * Checks on config values before they become command arguments. Arguments are
 * never given to a shell, so `;` or `$( )` are harmless data; what these checks
 * stop is a value read as an option (`-x`), a path escaping its directory
 * (`..`), or control characters that would garble logs and /proc/mounts.
 */

const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlChars(v: string): boolean {
  return CONTROL.test(v);
}

export function hasDotDotSegment(p: string): boolean {
  return p.split('/').includes('..');
}

/** A network interface name as the kernel accepts it (IFNAMSIZ 16, alias labels allowed). */
export function isInterfaceName(v: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,14}$/.test(v);
}

/** A DNS name or /etc/hosts alias. */
export function isHostName(v: string): boolean {
  return v.length <= 253 && /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(v);
}

/** An LVM volume group name (lvm(8) "VALID NAMES"). */
export function isVgName(v: string): boolean {
  return v.length <= 127 && v !== '.' && v !== '..' && /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(v);
}

/** A POSIX user name as useradd accepts it. */
export function isUserName(v: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(v);
}

/** An environment variable name. */
export function isEnvName(v: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v);
}

/** The last lines of a command's output, for an error message on one line. */
export function tail(text: string, lines = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' / ');
}
