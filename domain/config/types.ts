/**
 * The contract between config parsing (domain/config) and its users (drivers,
 * the action engine, status). Values are already reference-expanded
 * ({nodename}, {svcname}, {env.KEY}) and converted to their schema types.
 */
export type KeywordValue = string | number | boolean | string[];

export interface ResourceConfig {
  /** section name: `<driver>#<name>` (ip#0, fs#app, app#web) */
  readonly rid: string;
  /** ip | disk | fs | app | sync */
  readonly driver: string;
  /** the section's `type` keyword when it has one (vg, ext4, rsync) */
  readonly type: string | undefined;
  readonly optional: boolean;
  readonly disable: boolean;
  readonly monitor: boolean;
  readonly standby: boolean;
  readonly restart: number;
  readonly tags: readonly string[];
  readonly subset: string | undefined;
  /** every keyword of the section after defaults and conversion */
  readonly kw: Readonly<Record<string, KeywordValue>>;
}

export interface ServiceConfig {
  readonly name: string;
  readonly id: string;
  readonly app: string | undefined;
  readonly nodes: readonly string[];
  readonly drpnodes: readonly string[];
  readonly orchestrate: 'no' | 'start' | 'ha';
  readonly placement: string;
  readonly topology: 'failover' | 'flex';
  /** DEFAULT keywords after defaults and conversion */
  readonly defaults: Readonly<Record<string, KeywordValue>>;
  /** resources in file order; the implicit sync#i0 included */
  readonly resources: readonly ResourceConfig[];
}

export function kwString(r: ResourceConfig, k: string): string | undefined {
  const v = r.kw[k];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(' ') : String(v);
}

export function kwNumber(r: ResourceConfig, k: string): number | undefined {
  const v = r.kw[k];
  return typeof v === 'number' ? v : undefined;
}

export function kwBool(r: ResourceConfig, k: string): boolean {
  return r.kw[k] === true;
}

export function kwList(r: ResourceConfig, k: string): string[] {
  const v = r.kw[k];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  return String(v).split(/\s+/).filter(Boolean);
}
