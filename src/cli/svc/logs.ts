import { UsageError, UnavailableError } from '../../../domain/errors.js';
import { escapeForTerminal } from '../../../domain/escape.js';
import type { AnyEvent, EventType } from '../../../domain/events.js';
import type { Applied } from '../../../projections/instances.js';
import { actionLine } from '../../action/output.js';
import { allowOnly, flag, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

/** The event types that make the service's action lines. */
export const LOG_TYPES: ReadonlySet<string> = new Set<EventType>([
  'ServiceTargetRequested',
  'ServiceTargetReached',
  'ServiceTargetFailed',
  'ServiceTargetAborted',
  'ActionStarted',
  'ActionRejected',
  'ActionInterrupted',
  'ActionFinished',
  'ResourceLogged',
  'ResourceStartFailed',
  'ResourceStopFailed',
  'RollbackStarted',
  'RollbackFinished',
]);

const secs = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/**
 * The lines an action printed, from its events, as the tutorial shows them
 * (`node1.svc1.app#web     exec /svc1/app/init.d/weblauncher start as user
 * root`), with the lines that frame them: who started it and why, how it
 * ended, and the targets the actions serve. Pure: one event, its lines.
 */
export function actionLines(e: AnyEvent): string[] {
  const svc = `${e.origin}.${e.svc ?? ''}`;
  const res = `${svc}.${e.rid ?? ''}`;
  switch (e.type) {
    case 'ServiceTargetRequested':
      return [actionLine(svc, 'info', `target ${e.data.target === 'placed' ? `placed@${e.data.node ?? '?'}` : e.data.target} requested (${e.data.action} by ${e.data.by})`)];
    case 'ServiceTargetReached':
      return [actionLine(svc, 'info', `target ${e.data.target} reached`)];
    case 'ServiceTargetFailed':
      return [actionLine(svc, 'error', `target ${e.data.target} failed: ${e.data.reason}`)];
    case 'ServiceTargetAborted':
      return [actionLine(svc, 'warn', `target ${e.data.target} aborted by ${e.data.by}`)];
    case 'ActionStarted':
      return [actionLine(svc, 'info', `${e.data.restart ? 'restart in place of' : e.data.action}${e.data.rids.length > 0 && e.data.restart ? ` ${e.data.rids.join(' ')}` : ''} by ${e.data.user ?? 'unknown'}${e.data.reason ? `: ${e.data.relocation ? 'relocation: ' : ''}${e.data.reason}` : ''}`)];
    case 'ActionRejected':
      return [actionLine(svc, 'error', `${e.data.action} rejected: ${e.data.reason}`)];
    case 'ActionInterrupted':
      return [actionLine(svc, 'error', `${e.data.action} interrupted: the process running it died`)];
    case 'ActionFinished':
      if (e.data.conflict !== undefined) return [actionLine(svc, 'error', `${e.data.action} aborted due to resource ${e.data.conflict} conflict`)];
      return [actionLine(svc, e.data.result === 'ok' ? 'info' : 'error', `${e.data.action} ${e.data.result === 'ok' ? 'done' : 'failed'} in ${secs(e.data.durationMs)}`)];
    case 'ResourceLogged':
      return [actionLine(res, e.data.level === 'error' || e.data.level === 'warn' ? e.data.level : 'info', e.data.message)];
    case 'ResourceStartFailed':
    case 'ResourceStopFailed':
      return [actionLine(res, 'error', e.data.reason)];
    case 'RollbackStarted':
      return [actionLine(svc, 'info', `rollback start: ${e.data.rids.join(', ')}`)];
    case 'RollbackFinished':
      return [actionLine(svc, e.data.result === 'ok' ? 'info' : 'error', `rollback ${e.data.result}`)];
    default:
      return [];
  }
}

/** 2026-01-02 14:36:00Z, as print history shows times. */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/**
 * svcmgr logs [--node NODE] [--follow] [--format json]: the service's
 * action lines on every node, from this node's log (peers' events
 * included), each with its time; --node those of one node; --follow goes on
 * with what is appended (the node's NATS must run: the daemon).
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'logs', ['node', 'follow']);
  noExtraWords(ctx, 'logs');
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC logs, or the per-service command (svc1 logs)');
  const svc = ctx.svc;
  const json = outputFormat(ctx) === 'json';
  const node = opt(ctx.args, 'node');
  const show = (e: AnyEvent) => {
    if (e.svc !== svc || (node !== undefined && e.origin !== node)) return;
    if (json) {
      if (LOG_TYPES.has(e.type)) ctx.out(JSON.stringify(e));
      return;
    }
    for (const l of actionLines(e)) ctx.out(escapeForTerminal(`${when(e.time)}  ${l}`));
  };
  const { readLocalLog } = await import('../../events/localLog.js');
  let last = 0;
  await readLocalLog(ctx.paths, { svc, types: LOG_TYPES, onInvalid: (m) => ctx.err(`warning: ${m}`) }, (a: Applied) => {
    last = Math.max(last, a.streamSeq);
    show(a.event);
  });
  if (!flag(ctx.args, 'follow')) return 0;
  return follow(ctx, svc, last, show);
}

/** Go on with the service's events stored after `last`, until interrupted. */
async function follow(ctx: CliContext, svc: string, last: number, show: (e: AnyEvent) => void): Promise<number> {
  const [{ EventStore }, { natsTarget }, { loadClusterIdentity }] = await Promise.all([import('../../../adapters/nats/eventStore.js'), import('../../events/natsTarget.js'), import('../../config/identity.js')]);
  const cluster = loadClusterIdentity(ctx.paths).name;
  const target = natsTarget(ctx.paths);
  let store;
  try {
    store = await EventStore.open({ ...target.endpoint, cluster, limits: target.limits, connectTimeoutMs: 2000 });
  } catch (e) {
    throw new UnavailableError(`logs --follow: the node's event log cannot be followed: ${(e as Error).message} (nodemgr daemon start)`, { cause: e });
  }
  try {
    // the spool's events were shown with sequences past the stream's: follow from the stream's own end
    const end = Math.min(last, (await store.jsm.streams.info(store.auditStream)).state.last_seq);
    const stop = await store.follow({ fromSeq: end + 1, subject: `osvc.${cluster}.evt.*.svc.${svc}.>`, onInvalid: (r) => ctx.err(`warning: stream sequence ${r.streamSeq}: ${r.reason}, skipped`) }, (s) => show(s.event));
    await new Promise<void>((resolve) => {
      const done = () => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await stop();
  } finally {
    await store.close();
  }
  return 0;
}
