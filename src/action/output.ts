import type { LogLevel } from '../../adapters/resources/driver.js';

/**
 * The action log line of the tutorial:
 *   node1.svc1.ip#0        checking 192.168.121.42 availability
 *   node1.svc1           E start aborted due to resource ip#0 conflict
 * the origin padded to 21 columns, then a one-letter mark (E error, W warning).
 */
export function actionLine(origin: string, level: LogLevel, message: string): string {
  const mark = level === 'error' ? 'E' : level === 'warn' ? 'W' : ' ';
  const width = Math.max(21, origin.length + 1);
  return `${origin.padEnd(width)}${mark} ${message}`.trimEnd();
}
