/**
 * Status aggregation, OpenSVC's rules, in one place:
 *  - avail is computed over the resources that carry the service: not sync
 *    resources, not optional ones, not disabled ones;
 *  - all of them up (n/a ones aside) -> up; all down -> down; a mix -> warn;
 *    none left -> n/a; standby resources count with their stdby state
 *    (`stdby up` counts as down for avail: the service is not running);
 *  - overall adds what avail leaves out (sync, optional): a warn anywhere
 *    makes overall warn, otherwise overall is avail.
 */
export type Avail = 'up' | 'down' | 'warn' | 'n/a' | 'undef' | 'stdby up' | 'stdby down';

export interface ResourceState {
  readonly rid: string;
  readonly driver: string;
  readonly status: Avail;
  readonly optional: boolean;
  readonly disable: boolean;
  readonly standby: boolean;
  readonly monitor: boolean;
  /** undefined when unknown: shown as `/` in the flags column */
  readonly provisioned: boolean | undefined;
  readonly encap?: boolean;
  readonly label: string;
  readonly log: readonly string[];
}

export function isOptionalForAvail(r: Pick<ResourceState, 'driver' | 'optional'>): boolean {
  return r.optional || r.driver === 'sync';
}

export function aggregateAvail(resources: readonly ResourceState[]): Avail {
  const counted = resources.filter((r) => !r.disable && !isOptionalForAvail(r)).map((r) => r.status).filter((s) => s !== 'n/a' && s !== 'undef');
  if (counted.length === 0) return 'n/a';
  if (counted.includes('warn')) return 'warn';
  const ups = counted.filter((s) => s === 'up').length;
  const downs = counted.filter((s) => s === 'down' || s === 'stdby up' || s === 'stdby down').length;
  if (ups === counted.length) return 'up';
  if (downs === counted.length) return 'down';
  return 'warn';
}

export function aggregateOverall(resources: readonly ResourceState[], avail: Avail): Avail {
  const extraWarn = resources.some((r) => !r.disable && r.status === 'warn');
  return extraWarn ? 'warn' : avail;
}

/**
 * The 6-character flags column of `print status`:
 * M monitored, D disabled, O optional, E encapsulated,
 * P not provisioned (`.` provisioned, `/` unknown), S standby.
 */
export function resourceFlags(r: ResourceState): string {
  const optional = r.optional || r.driver === 'sync';
  return [
    r.monitor ? 'M' : '.',
    r.disable ? 'D' : '.',
    optional ? 'O' : '.',
    r.encap ? 'E' : '.',
    r.provisioned === undefined ? '/' : r.provisioned ? '.' : 'P',
    r.standby ? 'S' : '.',
  ].join('');
}

/**
 * Provisioning state as far as the agent knows it: ip, disk and fs resources
 * are provisioned once declared (the tutorial shows `.`); for launchers and
 * sync the agent cannot tell (`/`).
 */
export function knownProvisioned(driver: string): boolean | undefined {
  return driver === 'app' || driver === 'sync' ? undefined : true;
}
