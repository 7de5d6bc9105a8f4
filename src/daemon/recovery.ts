import path from 'node:path';
import type { EventStore } from '../../adapters/nats/eventStore.js';
import { FileLock } from '../../adapters/fs/lock.js';
import { ActionChildren } from '../../adapters/system/actionChildren.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import { recordStatus } from '../action/statusCache.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';
import type { Monitor } from './monitor.js';
import { gatedSink } from './scheduler.js';
import type { ServiceCatalog } from './services.js';

export interface RecoveryDeps {
  readonly paths: NodePaths;
  readonly node: string;
  readonly store: EventStore;
  readonly monitor: Monitor;
  readonly catalog: ServiceCatalog;
  readonly sink: EventSink;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
  readonly log: DaemonLogger;
}

const IN_PROGRESS: Readonly<Record<string, 'start' | 'stop'>> = { starting: 'start', stopping: 'stop' };

/** how long the commands an interrupted action left running are waited for before they are ended */
const CHILD_GRACE_MS = 10_000;

/**
 * Actions the log shows in progress on this node while no process holds the
 * service's action lock: the process running them died (kill -9, crash,
 * reboot). Each gets an ActionInterrupted event (the instance goes to
 * `start failed` / `stop failed`) and its resources' real status is
 * re-evaluated. Nothing is started or stopped here: the orchestrator
 * decides what comes next (rule 11 of domain/orchestration/decide.ts: a
 * start left half up is stopped, then placed on another node first).
 */
export async function recoverInterruptedActions(d: RecoveryDeps): Promise<string[]> {
  const recovered: string[] = [];
  for (const svc of d.monitor.projection.services()) {
    const inst = d.monitor.projection.get(svc, d.node);
    if (inst?.actionId === undefined || IN_PROGRESS[inst.monitorState] === undefined) continue;
    const lock = new FileLock(path.join(d.paths.lockDir, `${svc}.action.lock`));
    if (lock.holder() !== undefined) continue;
    // the runner appends ActionFinished before it releases the lock: once the
    // projection has applied everything stored now, a finished action shows
    const info = await d.store.jsm.streams.info(d.store.auditStream);
    if (!(await d.monitor.caughtUpTo(info.state.last_seq, 10_000))) {
      d.log.warn({ svc }, 'interrupted action not checked: the projection is behind the stream');
      continue;
    }
    const now = d.monitor.projection.get(svc, d.node);
    const action = now ? IN_PROGRESS[now.monitorState] : undefined;
    if (now?.actionId !== inst.actionId || action === undefined || lock.holder() !== undefined) continue;
    // the command the dead process was running (a check, a mount, a launcher) ends first: nothing decided next races with it
    const children = new ActionChildren(path.join(d.paths.lockDir, `${svc}.action.children`));
    const record = children.recorded();
    const left = await children.settle(CHILD_GRACE_MS);
    // what the record held when nothing of it runs any more: how a command that should have been waited for was missed
    if (left.found.length === 0) d.log.info({ svc, action, record: record ?? 'none' }, 'interrupted action: no command of it left running');
    if (left.found.length > 0) d.log.warn({ svc, action, pids: left.found, ended: left.ended }, left.ended.length > 0 ? 'interrupted action: its commands still running were ended' : 'interrupted action: waited for its commands still running');
    const ev = await d.sink.append({ type: 'ActionInterrupted', svc, causation: inst.actionId, data: { action, startedEvent: inst.actionId } });
    d.log.warn({ svc, action, startedEvent: inst.actionId }, 'action interrupted: the process running it is gone');
    recovered.push(svc);
    const cfg = d.catalog.get(svc)?.config;
    if (!cfg) continue;
    try {
      await recordStatus(cfg, { nodename: d.node, paths: d.paths, driverFor: d.driverFor, signal: d.signal, sink: gatedSink(d.sink, d.signal) }, ev.id, `${action} failed`);
    } catch (e) {
      d.log.error({ svc, err: (e as Error).message }, 'status after an interrupted action not evaluated');
    }
  }
  return recovered;
}
