import type { Avail, ResourceState } from '../domain/instance/status.js';

/** One instance (service x node) as `print status` and svcmon show it. */
export interface InstanceView {
  readonly node: string;
  readonly avail: Avail;
  readonly overall: Avail;
  readonly frozen: boolean;
  /** the action in progress: idle, starting, stopping, start failed... */
  readonly monitorState: string;
  /** what the last action left the instance expected to be: `started` is shown */
  readonly expect: string | undefined;
  /** a peer whose daemon can't be reached: `undef  daemon down` */
  readonly daemonDown: boolean;
  /** a node of the service that has no config of it (the log holds no instance there): `n/a  not configured` */
  readonly notConfigured?: boolean;
  readonly resources: readonly ResourceState[];
}

export interface ServiceStatusView {
  readonly name: string;
  readonly topology: string;
  readonly orchestrate: string;
  readonly avail: Avail;
  readonly overall: Avail;
  readonly instances: readonly InstanceView[];
  /** an operator's target not reached yet (OpenSVC's global expect): started, stopped, placed@node2 */
  readonly target?: string;
}

/**
 * The service line of `print status`: up when an instance is up (failover:
 * one is enough; more than one is warn, as OpenSVC merges), down otherwise; a second column `warn` when an instance
 * has a warning that its availability does not already say (the tutorial's
 * stopped service with a sync needing an update shows `down  warn`).
 */
export function serviceView(name: string, topology: string, orchestrate: string, instances: readonly InstanceView[]): ServiceStatusView {
  const live = instances.filter((i) => !i.daemonDown && i.notConfigured !== true);
  // OpenSVC's merge: a failover service up on more than one node is warn, whatever else
  const twice = topology === 'failover' && live.filter((i) => i.avail === 'up').length > 1;
  const avail: Avail = twice ? 'warn' : live.some((i) => i.avail === 'up') ? 'up' : live.length === 0 ? 'undef' : live.some((i) => i.avail === 'warn' && topology !== 'failover') ? 'warn' : 'down';
  const overall: Avail = live.some((i) => i.overall === 'warn' && i.avail !== 'warn') ? 'warn' : avail;
  return { name, topology, orchestrate, avail, overall, instances };
}

/** The nodes a failover service is up on when it is up on more than one (it should run on one at most): none otherwise. */
export function upOnMany(v: Pick<ServiceStatusView, 'topology' | 'instances'>): string[] {
  const up = v.instances.filter((i) => !i.daemonDown && i.notConfigured !== true && i.avail === 'up').map((i) => i.node);
  return v.topology === 'failover' && up.length > 1 ? up : [];
}
