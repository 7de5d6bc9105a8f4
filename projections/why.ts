import type { AnyEvent, Envelope, EventType } from '../domain/events.js';
import type { Applied } from './instances.js';

/**
 * `svcmgr why`: the causation chain of a move, read from the log alone.
 * An action's steps and results point at its ActionStarted (`causation`);
 * what made the orchestrator act is found before it: the resource its
 * reason names down, the peer it takes over from proven down, the action
 * elsewhere that left the service to start. An operator's action has no
 * earlier cause: who asked is the answer.
 */

export type WhyKind = 'fault' | 'cause' | 'asked' | 'decision' | 'step' | 'result';

export interface WhyLink {
  readonly kind: WhyKind;
  readonly time: string;
  readonly node: string;
  readonly id: string;
  readonly streamSeq: number;
  /** in the words of print history and the tutorial */
  readonly text: string;
  /** who asked or found it: an operator's user name, orchestrator, the scheduler (its status checks: a status change no action caused), heartbeats, split_action */
  readonly by?: string;
  /** a decision: the rule applied, and the reason recorded in its ActionStarted */
  readonly rule?: string;
  readonly reason?: string;
}

export interface Why {
  readonly svc: string;
  /** the ActionStarted asked about */
  readonly action: string;
  readonly summary: string;
  readonly from: string;
  readonly to: string;
  readonly links: readonly WhyLink[];
}

/** An event id (an action's ActionStarted, a step, a result, or a fault), the action at a time, or the last action (of a kind). */
export type WhyTarget = { readonly event: string } | { readonly at: number } | { readonly last: string | undefined };

export type WhyAnswer = { readonly ok: true; readonly why: Why } | { readonly ok: false; readonly reason: string };

/** The event types the explainer reads: the service's (its id given) and the nodes' that decide for it. */
export const WHY_TYPES: ReadonlySet<string> = new Set<EventType>([
  'ActionStarted',
  'ActionFinished',
  'ActionInterrupted',
  'ResourceStarted',
  'ResourceStopped',
  'ResourceStartFailed',
  'ResourceStopFailed',
  'ResourceSkipped',
  'RollbackStarted',
  'RollbackFinished',
  'InstanceStatusChanged',
  'ResourceStatusChanged',
  'InstanceThawed',
  'InstanceCleared',
  'PeerStateChanged',
  'NodeThawed',
  'DaemonStarted',
  'SplitActionRan',
  'ServiceTargetRequested',
  'ServiceTargetReached',
  'ServiceTargetFailed',
  'ServiceTargetAborted',
]);

type Started = Applied & { readonly event: Envelope<'ActionStarted'> };

/** How many actions back a chain goes: a move is two (a stop here, a start there), a failing service a few more. */
const MAX_ACTIONS = 5;

const isStarted = (a: Applied | undefined, svc: string): a is Started => a !== undefined && a.event.type === 'ActionStarted' && a.event.svc === svc;

/** The node a takeover start is from: `--takeover NODE` in its argv. */
export function takeoverOf(e: Envelope<'ActionStarted'>): string | undefined {
  const i = e.data.argv.indexOf('--takeover');
  return i >= 0 ? e.data.argv[i + 1] : undefined;
}

/** The rule an orchestrator's action applied, from what its ActionStarted records (domain/orchestration/decide.ts). */
export function ruleOf(e: Envelope<'ActionStarted'>): string {
  if (isTargetDriven(e)) return `target: an operator's ${e.data.action === 'stop' ? 'stop, switch or giveback' : 'start, switch, takeover or giveback'}, driven by every node`;
  if ((e.data as { restart?: unknown }).restart === true) return 'restart in place: a resource down';
  if (e.data.relocation === true) return 'relocation: a monitored resource down';
  if (takeoverOf(e) !== undefined) return 'takeover: the node running it proven down';
  if (e.data.action === 'stop') return 'one instance: running on another node too';
  if (e.data.action === 'start') return 'placement: not running on any live node';
  return e.data.action;
}

/** An orchestrator action toward an operator's target (domain/orchestration/decide.ts words its reason `target <label> (...)`). */
function isTargetDriven(e: Envelope<'ActionStarted'>): boolean {
  return e.data.user === 'orchestrator' && (e.data.reason ?? '').startsWith('target ');
}

/** The rids a reason names down: "monitored resource app#main down", "fs#1 down: restart 1 of 2 in place". */
function ridsDownIn(reason: string): string[] {
  const m = /((?:[a-z]+#[A-Za-z0-9_-]+)(?:, [a-z]+#[A-Za-z0-9_-]+)*) down\b/.exec(reason);
  return m ? m[1]!.split(', ') : [];
}

function lastOf<T>(xs: readonly T[], match: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (match(xs[i]!)) return xs[i];
  return undefined;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

class LogIndex {
  readonly byId = new Map<string, Applied>();
  private readonly position = new Map<Applied, number>();
  readonly children = new Map<string, Applied[]>();
  readonly starts: Started[] = [];

  constructor(
    readonly events: readonly Applied[],
    readonly svc: string,
  ) {
    events.forEach((a, i) => {
      this.byId.set(a.event.id, a);
      this.position.set(a, i);
      const c = a.event.causation;
      if (c !== undefined) {
        const list = this.children.get(c);
        if (list) list.push(a);
        else this.children.set(c, [a]);
      }
      if (isStarted(a, svc)) this.starts.push(a);
    });
  }

  /** The last event before `a` (in log order) that matches. */
  lastBefore(a: Applied, match: (e: AnyEvent) => boolean): Applied | undefined {
    const i = this.position.get(a) ?? 0;
    for (let j = i - 1; j >= 0; j--) if (match(this.events[j]!.event)) return this.events[j];
    return undefined;
  }

  /** The action an event belongs to: itself, or the ActionStarted it names. */
  actionOf(a: Applied): Started | undefined {
    if (isStarted(a, this.svc)) return a;
    const e = a.event;
    const id = e.type === 'ActionInterrupted' ? e.data.startedEvent : e.causation;
    const c = id !== undefined ? this.byId.get(id) : undefined;
    return isStarted(c, this.svc) ? c : undefined;
  }
}

type Trigger = { readonly kind: 'action'; readonly action: Started } | { readonly kind: 'event'; readonly event: Applied } | { readonly kind: 'none' };

const NONE: Trigger = { kind: 'none' };

/** What made an action happen, as far as the log says. */
function triggerOf(ix: LogIndex, a: Started): Trigger {
  const e = a.event;
  const svc = ix.svc;
  const by = e.data.user;
  const found = (x: Applied | undefined): Trigger => {
    if (x === undefined) return NONE;
    const act = ix.actionOf(x);
    return act !== undefined && act !== a ? { kind: 'action', action: act } : { kind: 'event', event: x };
  };
  if (by === 'split_action') return found(ix.lastBefore(a, (x) => x.type === 'SplitActionRan' && x.origin === e.origin));
  if (by !== 'orchestrator') return NONE;
  if (isTargetDriven(e)) return found(ix.lastBefore(a, (x) => x.type === 'ServiceTargetRequested' && x.svc === svc));
  const reason = e.data.reason ?? '';
  const rids = ridsDownIn(reason);
  if (rids.length > 0) {
    const f = ix.lastBefore(a, (x) => x.type === 'ResourceStatusChanged' && x.svc === svc && x.origin === e.origin && rids.includes(x.rid ?? '') && (x.data.status === 'down' || x.data.status === 'warn'));
    if (f) return found(f);
  }
  const from = takeoverOf(e);
  if (from !== undefined) {
    const f = ix.lastBefore(a, (x) => x.type === 'PeerStateChanged' && x.origin === e.origin && x.data.node === from && x.data.to === 'down');
    if (f) return found(f);
  }
  if (e.data.action === 'stop') {
    return found(ix.lastBefore(a, (x) => (x.type === 'InstanceStatusChanged' && x.svc === svc && x.origin !== e.origin && (x.data.avail === 'up' || x.data.avail === 'warn')) || (x.type === 'PeerStateChanged' && x.origin === e.origin && x.data.to === 'up')));
  }
  // a start: the last thing that left the service to start here
  return found(
    ix.lastBefore(a, (x) => {
      switch (x.type) {
        case 'ActionFinished':
        case 'ActionInterrupted':
          return x.svc === svc;
        case 'InstanceStatusChanged':
          return x.svc === svc && x.origin !== e.origin && x.causation === undefined && x.data.avail !== 'up' && x.data.avail !== 'warn';
        case 'InstanceThawed':
        case 'InstanceCleared':
          return x.svc === svc;
        case 'PeerStateChanged':
        case 'NodeThawed':
        case 'DaemonStarted':
          return x.origin === e.origin;
        default:
          return false;
      }
    }),
  );
}

/** A fault or a cause, in words. */
function causeLink(a: Applied): WhyLink {
  const e = a.event;
  const base = { time: e.time, node: e.origin, id: e.id, streamSeq: a.streamSeq };
  switch (e.type) {
    case 'ResourceStatusChanged':
      return { ...base, kind: e.data.status === 'up' ? 'cause' : 'fault', text: `${e.rid} ${e.data.status}${e.data.label ? ` (${e.data.label})` : ''}${e.data.log.length ? `: ${e.data.log.join('; ')}` : ''}`, by: 'scheduler' };
    case 'InstanceStatusChanged':
      return { ...base, kind: e.data.avail === 'up' || e.data.avail === 'warn' ? 'cause' : 'fault', text: `${e.svc} ${e.data.avail} on ${e.origin}`, by: 'scheduler' };
    case 'PeerStateChanged':
      return { ...base, kind: e.data.to === 'up' ? 'cause' : 'fault', text: `${e.data.node} ${e.data.to}${e.data.from ? ` (was ${e.data.from})` : ''}: ${e.data.why}`, by: 'heartbeats' };
    case 'SplitActionRan':
      return { ...base, kind: 'fault', text: `split action ${e.data.action} (${e.data.done}): ${e.data.reason}`, by: 'split_action' };
    case 'InstanceThawed':
      return { ...base, kind: 'asked', text: `${e.svc} thawed on ${e.origin}` };
    case 'InstanceCleared':
      return { ...base, kind: 'asked', text: `${e.svc} cleared on ${e.origin}: failed states and failover penalties reset` };
    case 'NodeThawed':
      return { ...base, kind: 'asked', text: `${e.origin} thawed` };
    case 'DaemonStarted':
      return { ...base, kind: 'cause', text: `the daemon started on ${e.origin}` };
    case 'ServiceTargetRequested':
      return { ...base, kind: 'asked', text: `${e.data.action} asked by ${e.data.by} on ${e.origin}: target ${targetText(e.data)}`, by: e.data.by };
    case 'ServiceTargetReached':
      return { ...base, kind: 'result', text: `target ${e.data.target} reached` };
    case 'ServiceTargetFailed':
      return { ...base, kind: 'result', text: `target ${e.data.target} failed: ${e.data.reason}` };
    case 'ServiceTargetAborted':
      return { ...base, kind: 'result', text: `target ${e.data.target} aborted by ${e.data.by}` };
    default:
      return { ...base, kind: 'cause', text: e.type };
  }
}

const targetText = (d: { readonly target: string; readonly node?: string | undefined }) => (d.target === 'placed' ? `placed@${d.node ?? '?'}` : d.target);

/** An action's decision (or who asked), its steps and its result. */
function actionLinks(ix: LogIndex, a: Started): WhyLink[] {
  const e = a.event;
  const base = (x: Applied) => ({ time: x.event.time, node: x.event.origin, id: x.event.id, streamSeq: x.streamSeq });
  const what = `${e.data.action}${(e.data as { restart?: unknown }).restart === true ? ` ${e.data.rids.join(' ')}` : ''}`;
  const links: WhyLink[] = [];
  if (e.data.user === 'orchestrator') {
    links.push({ ...base(a), kind: 'decision', text: `orchestrator: ${what}${e.data.relocation ? ' to relocate' : ''}: ${e.data.reason ?? '(no reason recorded)'}`, by: 'orchestrator', rule: ruleOf(e), ...(e.data.reason !== undefined ? { reason: e.data.reason } : {}) });
  } else {
    const by = e.data.user ?? 'unknown user';
    links.push({ ...base(a), kind: 'asked', text: `${what} asked by ${by}: ${e.data.argv.join(' ')}${e.data.reason ? ` (${e.data.reason})` : ''}`, by });
  }
  let status: string | undefined;
  let result: WhyLink | undefined;
  for (const c of ix.children.get(e.id) ?? []) {
    const x = c.event;
    switch (x.type) {
      case 'ResourceStarted':
        links.push({ ...base(c), kind: 'step', text: `${x.rid} ${x.data.alreadyUp ? 'already up' : 'started'}` });
        break;
      case 'ResourceStopped':
        links.push({ ...base(c), kind: 'step', text: `${x.rid} ${x.data.alreadyDown ? 'already down' : 'stopped'}` });
        break;
      case 'ResourceStartFailed':
      case 'ResourceStopFailed':
        links.push({ ...base(c), kind: 'step', text: `${x.rid} ${x.type === 'ResourceStartFailed' ? 'start' : 'stop'} failed: ${x.data.reason}` });
        break;
      case 'ResourceSkipped':
        links.push({ ...base(c), kind: 'step', text: `${x.rid} skipped: ${x.data.reason}` });
        break;
      case 'RollbackStarted':
        links.push({ ...base(c), kind: 'step', text: `rollback ${x.data.rids.join(' ')}` });
        break;
      case 'RollbackFinished':
        links.push({ ...base(c), kind: 'step', text: `rollback ${x.data.result}` });
        break;
      case 'InstanceStatusChanged':
        status = `${x.svc} ${x.data.avail} on ${x.origin}`;
        break;
      case 'ActionFinished': {
        const r = x.data.result === 'ok' ? 'ok' : x.data.conflict !== undefined ? `aborted: ${x.data.conflict} conflict (it answers elsewhere)` : `failed: ${x.data.error ?? ''}`.trimEnd();
        result = { ...base(c), kind: 'result', text: `${x.data.action} ${r} in ${secs(x.data.durationMs)}` };
        break;
      }
      case 'ActionInterrupted':
        result = { ...base(c), kind: 'result', text: `${x.data.action} interrupted: the process running it died` };
        break;
      default:
        break;
    }
  }
  if (result) links.push(status ? { ...result, text: `${result.text}; ${status}` } : result);
  else links.push({ ...base(a), kind: 'result', text: `${e.data.action} running (no result in the log yet)` });
  return links;
}

function targetOf(ix: LogIndex, t: WhyTarget): Started | string {
  const svc = ix.svc;
  if ('event' in t) {
    const given = ix.byId.get(t.event);
    if (given === undefined) return `no event ${t.event} in the log`;
    // a target's end: the request it ends, then the first action toward it
    const g = given.event;
    const of = g.type === 'ServiceTargetReached' || g.type === 'ServiceTargetFailed' || g.type === 'ServiceTargetAborted' ? ix.byId.get(g.data.of) : undefined;
    const a = of ?? given;
    const act = ix.actionOf(a);
    if (act) return act;
    // a fault: the first action it led to, among the next few
    for (const s of ix.starts.filter((x) => x.streamSeq > a.streamSeq).slice(0, 2 * MAX_ACTIONS)) {
      if (chainOf(ix, s).some((c) => c.id === a.event.id)) return s;
    }
    return `${t.event} (${g.type}) led to no action of ${svc} in the log`;
  }
  if ('at' in t) {
    let found: Started | undefined;
    for (const s of ix.starts) if (Date.parse(s.event.time) <= t.at) found = s;
    return found ?? `no action of ${svc} at or before ${new Date(t.at).toISOString()} in the log`;
  }
  const found = lastOf(ix.starts, (s) => t.last === undefined || s.event.data.action === t.last);
  return found ?? `no ${t.last === undefined ? 'action' : `${t.last} action`} of ${svc} in the log`;
}

/** The causes and actions leading to an action, oldest first, as links. */
function chainOf(ix: LogIndex, target: Started): WhyLink[] {
  const actions: Started[] = [target];
  let cause: Applied | undefined;
  for (let cur = target; actions.length < MAX_ACTIONS; ) {
    const t = triggerOf(ix, cur);
    if (t.kind === 'action' && !actions.includes(t.action)) {
      actions.unshift(t.action);
      cur = t.action;
      continue;
    }
    if (t.kind === 'event') cause = t.event;
    break;
  }
  if (cause?.event.type === 'ServiceTargetRequested') return targetLinks(ix, cause);
  return [...(cause ? [causeLink(cause)] : []), ...actions.flatMap((a) => actionLinks(ix, a))];
}

/**
 * An operator's target, whole: who asked, every node's action toward it
 * (a switch is a stop on one node and a start on another), and its end.
 */
function targetLinks(ix: LogIndex, request: Applied): WhyLink[] {
  const id = request.event.id;
  const end = ix.events.find((x) => x.streamSeq > request.streamSeq && (x.event.type === 'ServiceTargetReached' || x.event.type === 'ServiceTargetFailed' || x.event.type === 'ServiceTargetAborted') && x.event.data.of === id);
  // a newer request replaces this one
  const next = ix.events.find((x) => x.streamSeq > request.streamSeq && x.event.type === 'ServiceTargetRequested' && x.event.svc === ix.svc);
  const until = Math.min(end?.streamSeq ?? Infinity, next?.streamSeq ?? Infinity);
  const driven = ix.starts.filter((s) => s.streamSeq > request.streamSeq && s.streamSeq < until && isTargetDriven(s.event));
  return [causeLink(request), ...driven.flatMap((a) => actionLinks(ix, a)), ...(end ? [causeLink(end)] : [])];
}

/** The summary line: a move from a node to another, a takeover, or the action and its result. */
function summaryOf(svc: string, ix: LogIndex, links: readonly WhyLink[]): { summary: string; from: string; to: string } {
  const from = links[0]!.time;
  const to = links[links.length - 1]!.time;
  const acts = links.filter((l) => l.kind === 'decision' || l.kind === 'asked').map((l) => ix.byId.get(l.id)).filter((a): a is Started => isStarted(a, svc));
  const okOf = (a: Started) => (ix.children.get(a.event.id) ?? []).some((c) => c.event.type === 'ActionFinished' && c.event.data.result === 'ok');
  /** a move from a node to another, or a takeover, when the chain holds one */
  const moved = (): string | undefined => {
    const lastStart = lastOf(acts, (a) => a.event.data.action === 'start' && okOf(a));
    if (!lastStart) return undefined;
    const over = takeoverOf(lastStart.event);
    if (over !== undefined) return `${svc} taken over by ${lastStart.event.origin} from ${over}`;
    const stop = lastOf(acts, (a) => a.streamSeq < lastStart.streamSeq && a.event.data.action === 'stop' && okOf(a) && a.event.origin !== lastStart.event.origin);
    return stop ? `${svc} moved from ${stop.event.origin} to ${lastStart.event.origin}` : undefined;
  };
  const asked = ix.byId.get(links[0]!.id)?.event;
  if (asked?.type === 'ServiceTargetRequested') {
    const end = lastOf(links, (l) => l.kind === 'result' && l.text.startsWith('target '));
    const how = `${asked.data.action} by ${asked.data.by}: ${end?.text ?? `target ${targetText(asked.data)} not reached yet`}`;
    const move = moved();
    return { summary: move ? `${move} (${how})` : `${svc} ${how}`, from, to };
  }
  const move = moved();
  if (move) return { summary: move, from, to };
  const last = acts[acts.length - 1]!;
  const result = lastOf(links, (l) => l.kind === 'result');
  return { summary: `${svc} ${last.event.data.action} on ${last.event.origin}: ${result?.text ?? 'running'}`, from, to };
}

/**
 * Explain an action of `svc` from the log: `events` in log order, at least
 * those of WHY_TYPES for the service and the nodes. The action a move
 * continues with (the start elsewhere after a relocation stop) is shown too.
 */
export function explain(events: readonly Applied[], svc: string, target: WhyTarget): WhyAnswer {
  const ix = new LogIndex(events, svc);
  const t = targetOf(ix, target);
  if (typeof t === 'string') return { ok: false, reason: t };
  const links = chainOf(ix, t);
  // what the action led to: the next action whose own chain runs through it
  const next = ix.starts.find((s) => {
    if (s.streamSeq <= t.streamSeq) return false;
    const tr = triggerOf(ix, s);
    return tr.kind === 'action' && tr.action === t;
  });
  const all = next ? [...links, ...actionLinks(ix, next)] : links;
  return { ok: true, why: { svc, action: t.event.id, ...summaryOf(svc, ix, all), links: all } };
}
