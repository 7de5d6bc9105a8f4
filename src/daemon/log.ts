import { pino } from 'pino';
import type { Logger } from 'pino';
import type { NodePaths } from '../paths.js';

export type DaemonLogger = Logger;

/**
 * The daemon's own log, <OSVCLOG>/agent.log, one JSON object a line. What
 * happened to services is in the event log; this one says what the daemon
 * did and why it could not. Written synchronously: the lines before a crash
 * are the ones that matter.
 */
export function daemonLogger(p: NodePaths, node: string, level = process.env.HASVC_LOG_LEVEL ?? 'info'): DaemonLogger {
  return pino({ level, base: { node, pid: process.pid } }, pino.destination({ dest: p.agentLog, mkdir: true, sync: true }));
}
