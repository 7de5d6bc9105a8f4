import fs from 'node:fs';
import path from 'node:path';
import type { DriverContext, ResourceDriver } from '../../adapters/resources/driver.js';
import type { ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import { aggregateAvail, aggregateOverall, knownProvisioned } from '../../domain/instance/status.js';
import type { ResourceState } from '../../domain/instance/status.js';
import type { InstanceView } from '../../projections/statusView.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';

/**
 * The local instance's last evaluated state, kept under <OSVCVAR>/services/<svc>/.
 * A cache, derivable from the log: it lets the CLI emit ResourceStatusChanged
 * only for what changed, and keeps the frozen flag readable without NATS.
 */
interface CachedInstance {
  readonly expect?: string;
  readonly monitorState: string;
  readonly resources: Record<string, { status: string; label: string; log: readonly string[] }>;
  readonly avail?: string;
  readonly overall?: string;
}

function svcDir(p: NodePaths, svc: string): string {
  return path.join(p.var, 'services', svc);
}

function readCache(p: NodePaths, svc: string): CachedInstance | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(svcDir(p, svc), 'status.json'), 'utf8')) as CachedInstance;
  } catch {
    return undefined;
  }
}

function writeCache(p: NodePaths, svc: string, c: CachedInstance): void {
  const dir = svcDir(p, svc);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `status.json.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(c));
  fs.renameSync(tmp, path.join(dir, 'status.json'));
}

export function isFrozen(p: NodePaths, svc: string): boolean {
  return fs.existsSync(path.join(svcDir(p, svc), 'frozen'));
}

export function setFrozen(p: NodePaths, svc: string, frozen: boolean): void {
  const f = path.join(svcDir(p, svc), 'frozen');
  if (frozen) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, '');
  } else {
    fs.rmSync(f, { force: true });
  }
}

/** A clear: the last action's `start failed` / `stop failed` no longer shows (the status is what it is). */
export function clearFailedState(p: NodePaths, svc: string): void {
  const c = readCache(p, svc);
  if (c?.monitorState.endsWith('failed')) writeCache(p, svc, { ...c, monitorState: 'idle' });
}

export interface ProbeDeps {
  readonly nodename: string;
  readonly paths: NodePaths;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
}

/** Ask every resource driver for its status, right now. */
export async function probeInstance(svc: ServiceConfig, deps: ProbeDeps): Promise<InstanceView> {
  const ctx: DriverContext = { signal: deps.signal, nodename: deps.nodename, svc, paths: deps.paths, force: false, log: () => undefined };
  const cache = readCache(deps.paths, svc.name);
  const resources: ResourceState[] = [];
  for (const conf of svc.resources) {
    const driver = deps.driverFor(conf);
    let status: ResourceState['status'];
    let log: readonly string[];
    try {
      const s = await driver.status(ctx);
      status = s.status;
      log = s.log;
    } catch (e) {
      status = 'warn';
      log = [`warn: ${(e as Error).message}`];
    }
    resources.push({
      rid: conf.rid,
      driver: conf.driver,
      status: conf.disable ? 'n/a' : status,
      optional: conf.optional,
      disable: conf.disable,
      standby: conf.standby,
      monitor: conf.monitor,
      provisioned: knownProvisioned(conf.driver),
      label: driver.label(),
      log,
    });
  }
  const avail = aggregateAvail(resources);
  return {
    node: deps.nodename,
    avail,
    overall: aggregateOverall(resources, avail),
    frozen: isFrozen(deps.paths, svc.name),
    monitorState: cache?.monitorState ?? 'idle',
    expect: cache?.expect,
    daemonDown: false,
    resources,
  };
}

/**
 * Probe, append what changed since the last evaluation as events, remember it.
 * `expect` is what the last action left (started, stopped, start failed).
 */
export async function recordStatus(
  svc: ServiceConfig,
  deps: ProbeDeps & { sink: EventSink },
  causation: string | undefined,
  expect?: string,
  /** the first check since the daemon started: the instance's status is recorded even when unchanged (the log then knows it is checked) */
  first = false,
): Promise<InstanceView> {
  const view = await probeInstance(svc, deps);
  const before = readCache(deps.paths, svc.name);
  const cause = causation !== undefined ? { causation } : {};
  for (const r of view.resources) {
    const old = before?.resources[r.rid];
    if (old && old.status === r.status && old.label === r.label && old.log.join('\n') === r.log.join('\n')) continue;
    await deps.sink.append({ type: 'ResourceStatusChanged', svc: svc.name, rid: r.rid, ...cause, data: { status: r.status, label: r.label, log: [...r.log] } });
  }
  if (first || before?.avail !== view.avail || before?.overall !== view.overall) {
    await deps.sink.append({ type: 'InstanceStatusChanged', svc: svc.name, ...cause, data: { avail: view.avail, overall: view.overall } });
  }
  const nextExpect = expect === 'started' ? 'started' : expect === undefined ? before?.expect : undefined;
  // a plain status check keeps what the last action left (`start failed` stays until the next action)
  const monitorState = expect === undefined ? (before?.monitorState ?? 'idle') : expect.endsWith('failed') ? expect : 'idle';
  writeCache(deps.paths, svc.name, {
    ...(nextExpect !== undefined ? { expect: nextExpect } : {}),
    monitorState,
    resources: Object.fromEntries(view.resources.map((r) => [r.rid, { status: r.status, label: r.label, log: r.log }])),
    avail: view.avail,
    overall: view.overall,
  });
  return { ...view, expect: nextExpect, monitorState };
}
