import path from 'node:path';
import { reportingSpawns } from '../../adapters/exec.js';
import { FileLock } from '../../adapters/fs/lock.js';
import { ActionChildren } from '../../adapters/system/actionChildren.js';
import type { DriverContext, LogLevel, ResourceDriver } from '../../adapters/resources/driver.js';
import { planAction, rollbackSteps } from '../../domain/action/plan.js';
import type { Selection } from '../../domain/action/plan.js';
import type { ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import { HasvcError } from '../../domain/errors.js';
import type { EventType, NewEvent } from '../../domain/events.js';
import type { NodePaths } from '../paths.js';
import type { EventSink } from '../events/sink.js';
import { actionLine } from './output.js';
import { recordStatus } from './statusCache.js';

export type ActionVerb = 'start' | 'stop' | 'restart';

export interface ActionRequest {
  readonly svc: ServiceConfig;
  readonly action: ActionVerb;
  readonly selection: Selection;
  readonly force: boolean;
  readonly argv: readonly string[];
  readonly user?: string;
  /** why, when the orchestrator runs it; relocation: stopping so another node takes over */
  readonly reason?: string;
  readonly relocation?: boolean;
  /** the orchestrator restarts failed resources in place (their `restart` count) */
  readonly restart?: boolean;
}

export interface ActionDeps {
  readonly nodename: string;
  readonly paths: NodePaths;
  readonly sink: EventSink;
  readonly print: (line: string) => void;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
  /** wall clock in ms, passed in */
  readonly now: () => number;
  /** how long to wait for another action on the same service */
  readonly lockTimeoutMs?: number;
}

export interface ActionOutcome {
  readonly ok: boolean;
  readonly actionId: string;
}

/** The IP driver marks an address answering elsewhere: the start aborts without touching anything. */
function isConflict(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { conflict?: unknown }).conflict === true;
}

function message(e: unknown): string {
  if (e instanceof HasvcError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Runs start / stop / restart on the local instance: one action at a time per
 * service, every step appended as an event before the next one runs, a failed
 * start rolled back in stop order. The decisions (order, selection, what to
 * roll back) come from domain/action/plan.ts.
 */
export async function runAction(req: ActionRequest, deps: ActionDeps): Promise<ActionOutcome> {
  const svcName = req.svc.name;
  const lock = new FileLock(path.join(deps.paths.lockDir, `${svcName}.action.lock`));
  await lock.acquire(deps.lockTimeoutMs ?? 60_000, `${svcName}: another action is running on this service`);
  // the commands it runs, for the daemon after this one if this process dies (recovery.ts)
  const children = new ActionChildren(path.join(deps.paths.lockDir, `${svcName}.action.children`));
  try {
    children.reset();
    return await reportingSpawns(
      (pid) => children.add(pid),
      async () => {
        if (req.action === 'restart') {
          const stopped = await runOne({ ...req, action: 'stop' }, deps);
          if (!stopped.ok) return stopped;
          return await runOne({ ...req, action: 'start' }, deps);
        }
        return await runOne(req as ActionRequest & { action: 'start' | 'stop' }, deps);
      },
    );
  } finally {
    children.clear();
    lock.release();
  }
}

async function runOne(req: ActionRequest & { action: 'start' | 'stop' }, deps: ActionDeps): Promise<ActionOutcome> {
  const svc = req.svc;
  const svcOrigin = `${deps.nodename}.${svc.name}`;
  const t0 = deps.now();
  const emit = <T extends EventType>(e: NewEvent<T>) => deps.sink.append(e);
  const plan = planAction(svc, req.action, req.selection);
  if (!plan.ok) {
    await emit({ type: 'ActionRejected', svc: svc.name, data: { action: req.action, reason: plan.reason } });
    deps.print(actionLine(svcOrigin, 'error', plan.reason));
    return { ok: false, actionId: '' };
  }
  const started = await emit({
    type: 'ActionStarted',
    svc: svc.name,
    data: {
      action: req.action,
      rids: plan.steps.filter((s) => !s.skip).map((s) => s.conf.rid),
      argv: [...req.argv],
      ...(req.user ? { user: req.user } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.relocation ? { relocation: true } : {}),
      ...(req.restart ? { restart: true } : {}),
    },
  });
  const causation = started.id;
  const svcLog = async (level: LogLevel, msg: string) => {
    deps.print(actionLine(svcOrigin, level, msg));
  };

  /**
   * One resource call. Each line the driver logs is printed and appended at
   * once, as a ResourceLogged event, and the driver awaits it before its next
   * step: a crash mid-driver leaves every step taken before it in the log.
   */
  const step = async (conf: ResourceConfig, verb: 'start' | 'stop') => {
    const driver = deps.driverFor(conf);
    const origin = `${svcOrigin}.${conf.rid}`;
    // the appends chained: in the order logged even if a line is not awaited, each once
    let stored: Promise<unknown> = Promise.resolve();
    const log = (level: LogLevel, m: string): Promise<void> => {
      deps.print(actionLine(origin, level, m));
      const line = stored.then(() => emit({ type: 'ResourceLogged', svc: svc.name, rid: conf.rid, causation, data: { level, message: m } }));
      stored = line;
      const done = line.then(() => undefined);
      // the driver sees a failed append; the step's own wait on `stored` reports it too
      done.catch(() => undefined);
      return done;
    };
    const ctx: DriverContext = { signal: deps.signal, nodename: deps.nodename, svc, paths: deps.paths, force: req.force, log };
    await emit({ type: verb === 'start' ? 'ResourceStartRequested' : 'ResourceStopRequested', svc: svc.name, rid: conf.rid, causation, data: {} });
    let result: 'done' | 'already' | Error;
    try {
      result = verb === 'start' ? await driver.start(ctx) : await driver.stop(ctx);
    } catch (e) {
      result = e instanceof Error ? e : new Error(String(e));
    }
    // a line the driver logged and did not wait for is stored before its result
    await stored;
    if (result instanceof Error) {
      await emit({ type: verb === 'start' ? 'ResourceStartFailed' : 'ResourceStopFailed', svc: svc.name, rid: conf.rid, causation, data: { reason: message(result) } });
      return result;
    }
    if (verb === 'start') await emit({ type: 'ResourceStarted', svc: svc.name, rid: conf.rid, causation, data: { alreadyUp: result === 'already' } });
    else await emit({ type: 'ResourceStopped', svc: svc.name, rid: conf.rid, causation, data: { alreadyDown: result === 'already' } });
    return result;
  };

  // the resource whose check found it running elsewhere: the start aborted, no failure of this node
  let conflict: string | undefined;
  const finish = async (ok: boolean, error?: string): Promise<ActionOutcome> => {
    await recordStatus(svc, deps, causation, ok ? (req.action === 'start' ? 'started' : 'stopped') : `${req.action} failed`);
    await emit({
      type: 'ActionFinished',
      svc: svc.name,
      causation,
      data: { action: req.action, result: ok ? 'ok' : 'failed', durationMs: Math.round(deps.now() - t0), ...(error ? { error } : {}), ...(conflict !== undefined ? { conflict } : {}) },
    });
    return { ok, actionId: causation };
  };

  const activated: ResourceConfig[] = [];
  let failure: string | undefined;
  for (const s of plan.steps) {
    if (s.skip) {
      if (s.skip !== 'not selected') await emit({ type: 'ResourceSkipped', svc: svc.name, rid: s.conf.rid, causation, data: { reason: s.skip } });
      continue;
    }
    const r = await step(s.conf, req.action);
    if (r === 'done' && req.action === 'start') activated.push(s.conf);
    if (!(r instanceof Error)) continue;
    const origin = `${svcOrigin}.${s.conf.rid}`;
    if (s.conf.optional) {
      deps.print(actionLine(origin, 'warn', `${message(r)} (optional resource: the action goes on)`));
      continue;
    }
    if (isConflict(r)) {
      conflict = s.conf.rid;
      await svcLog('error', `${req.action} aborted due to resource ${s.conf.rid} conflict`);
    } else {
      deps.print(actionLine(origin, 'error', message(r)));
    }
    failure = `${s.conf.rid}: ${message(r)}`;
    break;
  }

  if (failure === undefined) return finish(true);
  if (req.action === 'stop') return finish(false, failure);

  // a failed start leaves things as they were: stop what this action started, in stop order
  const undo = rollbackSteps(activated);
  if (undo.length === 0) {
    await svcLog('info', 'skip rollback start: no resource activated');
    return finish(false, failure);
  }
  await emit({ type: 'RollbackStarted', svc: svc.name, causation, data: { rids: undo.map((r) => r.rid) } });
  await svcLog('info', `rollback start: ${undo.map((r) => r.rid).join(', ')}`);
  let rollbackOk = true;
  for (const conf of undo) {
    const r = await step(conf, 'stop');
    if (r instanceof Error) {
      rollbackOk = false;
      deps.print(actionLine(`${svcOrigin}.${conf.rid}`, 'error', `rollback: ${message(r)}`));
    }
  }
  await emit({ type: 'RollbackFinished', svc: svc.name, causation, data: { result: rollbackOk ? 'ok' : 'failed' } });
  return finish(false, failure);
}
