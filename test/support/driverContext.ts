import type { KeywordValue, ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import type { DriverContext, LogLevel } from '../../adapters/resources/driver.js';
import { nodePaths, type NodePaths } from '../../src/paths.js';

/** Builders for driver tests: a resource section, a service, a context that records log lines. */

/** A resource section as domain/config would hand it over: `ip#0` → driver ip; `type` taken from kw. */
export function resourceConfig(rid: string, kw: Record<string, KeywordValue>, extra: Partial<ResourceConfig> = {}): ResourceConfig {
  const driver = rid.split('#')[0] ?? rid;
  const type = typeof kw.type === 'string' ? kw.type : undefined;
  return {
    rid,
    driver,
    type,
    optional: false,
    disable: false,
    monitor: false,
    standby: false,
    restart: 0,
    tags: [],
    subset: undefined,
    kw,
    ...extra,
  };
}

export function serviceConfig(name: string, resources: readonly ResourceConfig[] = [], nodes: readonly string[] = ['node1', 'node2']): ServiceConfig {
  return {
    name,
    id: '00000000-0000-4000-8000-000000000000',
    app: undefined,
    nodes,
    drpnodes: [],
    orchestrate: 'no',
    placement: 'nodes order',
    topology: 'failover',
    defaults: {},
    resources,
  };
}

export interface LoggedLine {
  readonly level: LogLevel;
  readonly message: string;
  /** ms since the context was made: where an action spends its time */
  readonly at: number;
}

export interface RecordingContext {
  readonly ctx: DriverContext;
  readonly lines: LoggedLine[];
  /** the messages only, one per line: easy to match against the tutorial */
  messages(): string[];
  clear(): void;
}

/**
 * A DriverContext whose log is kept in memory. `root` is the OSVC_ROOT of
 * the node (a temp dir), so <etc> is `<root>/etc/opensvc`.
 */
export function recordingContext(o: {
  root: string;
  svc: ServiceConfig;
  nodename?: string;
  force?: boolean;
  signal?: AbortSignal;
}): RecordingContext {
  const lines: LoggedLine[] = [];
  const t0 = performance.now();
  const paths: NodePaths = nodePaths({ OSVC_ROOT: o.root });
  const ctx: DriverContext = {
    signal: o.signal ?? new AbortController().signal,
    nodename: o.nodename ?? 'node1',
    svc: o.svc,
    paths,
    force: o.force ?? false,
    log: (level, message) => {
      lines.push({ level, message, at: Math.round(performance.now() - t0) });
    },
  };
  return {
    ctx,
    lines,
    messages: () => lines.map((l) => l.message),
    clear: () => {
      lines.length = 0;
    },
  };
}

/** The same context with other settings (force, nodename), sharing the log. */
export function withContext(rc: RecordingContext, patch: Partial<Pick<DriverContext, 'force' | 'nodename' | 'signal'>>): DriverContext {
  return { ...rc.ctx, ...patch };
}
