import type { ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import type { NodePaths } from '../../src/paths.js';

/** Resource availability, in the words `print status` shows. */
export type ResourceAvail = 'up' | 'down' | 'warn' | 'n/a' | 'undef' | 'stdby up' | 'stdby down';

export interface ResourceStatus {
  readonly status: ResourceAvail;
  /** `info: ...` / `warn: ...` lines shown under the resource */
  readonly log: readonly string[];
}

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * One line of an action's output for a resource. An action's log appends it
 * to the event log at once and resolves once it is stored: a driver awaits it
 * before its next step, so a crash leaves in the log every step taken before
 * it. A context that stores nothing (a status probe) may return nothing.
 */
export type DriverLog = (level: LogLevel, message: string) => Promise<void> | void;

/** What a driver call gets: where it runs, how to report, when to give up. */
export interface DriverContext {
  readonly signal: AbortSignal;
  readonly nodename: string;
  readonly svc: ServiceConfig;
  readonly paths: NodePaths;
  /** force: take a VG tagged by another node, kill users of a busy mount... */
  readonly force: boolean;
  /** one line of the action's output for this resource, in the tutorial's words: awaited (DriverLog) */
  readonly log: DriverLog;
}

/**
 * One interface for every resource kind. A driver reports what it did and
 * what it saw; it never decides what to do next (the action engine does).
 * start/stop throw ResourceError on failure. They return 'already' when the
 * resource was already in the target state (the engine logs nothing more).
 */
export interface ResourceDriver {
  readonly rid: string;
  readonly conf: ResourceConfig;
  /** the label of `print status`: `192.168.121.42@eth0`, `vg vgsvc1`, `ext4 DEV@MNT`, `weblauncher` */
  label(): string;
  status(ctx: DriverContext): Promise<ResourceStatus>;
  start(ctx: DriverContext): Promise<'done' | 'already'>;
  stop(ctx: DriverContext): Promise<'done' | 'already'>;
  info(ctx: DriverContext): Promise<Record<string, string>>;
  /** the block devices it uses (sub: what it is built on) and offers (exposed), for print devs; none when absent */
  devs?(ctx: DriverContext): Promise<ResourceDevs>;
  /** tell the neighbours again where it is (an ip: gratuitous ARP), when it is up here; 'not here' when it is not */
  announce?(ctx: DriverContext): Promise<'done' | 'not here'>;
}

export interface ResourceDevs {
  readonly exposed: readonly string[];
  readonly sub: readonly string[];
}
