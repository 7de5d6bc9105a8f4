import type { ServiceConfig } from '../domain/config/types.js';
import type { Envelope, EventType } from '../domain/events.js';
import { decide } from '../domain/orchestration/decide.js';
import type { ClusterFacts, Intent, PeerState } from '../domain/orchestration/decide.js';
import { InstancesProjection } from './instances.js';
import type { Applied } from './instances.js';
import { NODE_FACT_TYPES, evolveNodeFacts, nodeFactsOf } from './nodeFacts.js';
import type { NodesFacts } from './nodeFacts.js';
import { serviceFacts } from './orchestrationFacts.js';
import { LoggedConfigs } from './serviceConfigs.js';
import { takeoverOf } from './why.js';

/**
 * `nodemgr audit`: every recorded orchestrator decision (an ActionStarted by
 * the orchestrator) replayed through today's `decide`, on the facts the log
 * held just before it, to find the ones the code would now take otherwise.
 * What the log does not hold is said, never guessed:
 *  - the order a node received its peers' events in is its own log's: only
 *    the decisions of the node whose log this is are re-checked;
 *  - a service's config is the one the deciding node's records carried
 *    then (ServiceCreated, ServiceConfigChanged: its content, secrets
 *    hidden); one recorded before configs were carried is known by its
 *    checksum only: this node's file is used when its checksum is that one;
 *  - peers' liveness comes from the deciding node's PeerStateChanged since
 *    its DaemonStarted: without that start in the log, it is unknown;
 *  - node.ready_period is node.conf's now, unless a recorded change of it
 *    came after the decision: then only decisions that do not depend on it
 *    are re-checked;
 *  - when a start began to wait (ready_period) is not in the log: the wait
 *    is taken as held, so waits are not re-checked, what was decided is.
 */

export interface AuditInputs {
  /** the node whose log this is */
  readonly node: string;
  /** this node's config of a service when its file's checksum is this one (read for `decider`: its references expanded there), else why not: "this node's svc1.conf differs now" */
  readonly configAt: (svc: string, checksum: string, decider: string) => ServiceConfig | { readonly unusable: string };
  /** node.ready_period as this node's node.conf says now, ms */
  readonly readyPeriodMs: number;
  /** node.rejoin_grace_period as this node's node.conf says now, ms (rule 12; none: not checked) */
  readonly rejoinGraceMs?: number;
  /** decisions before this time (ms) are replayed, not re-checked */
  readonly since?: number;
}

export type AuditVerdict = 'same' | 'different' | 'unchecked';

export interface AuditedDecision {
  readonly id: string;
  readonly streamSeq: number;
  readonly time: string;
  /** the deciding node */
  readonly node: string;
  readonly svc: string;
  /** the decision as recorded: action, flags, reason */
  readonly recorded: string;
  readonly verdict: AuditVerdict;
  /** the decision today's code takes (same, different), or what input is missing (unchecked) */
  readonly now: string;
}

export interface AuditReport {
  readonly decisions: readonly AuditedDecision[];
  /** what the re-check assumes, in words */
  readonly assumptions: readonly string[];
}

/** The event types the audit reads: the instances', the nodes', configs, and the decisions. */
export const AUDIT_TYPES: ReadonlySet<string> = new Set<string>([
  ...InstancesProjection.consumes,
  ...NODE_FACT_TYPES,
  ...(['ServiceCreated', 'ServiceConfigChanged', 'ServiceDeleted', 'NodeConfigChanged', 'ActionStarted'] satisfies EventType[]),
]);

/** A long-held start: the ready_period wait is not re-checked (when it began is not in the log). */
const HELD = Number.MIN_SAFE_INTEGER;

/** Other values node.ready_period may have had, when it is not known: a decision the same with each does not depend on it. */
const READY_PERIODS_MS = [0, 1000, 5000, 30_000, 300_000];

interface Recorded {
  readonly action: string;
  readonly relocation: boolean;
  readonly takeover: string | undefined;
  readonly restart: boolean;
  readonly rids: readonly string[] | undefined;
}

function recordedOf(e: Envelope<'ActionStarted'>): Recorded {
  const restart = (e.data as { restart?: unknown }).restart === true;
  return { action: e.data.action, relocation: e.data.relocation === true, takeover: takeoverOf(e), restart, rids: restart ? e.data.rids : undefined };
}

function recordedText(e: Envelope<'ActionStarted'>): string {
  const r = recordedOf(e);
  const flags = [r.relocation ? 'relocation' : '', r.takeover !== undefined ? `takeover from ${r.takeover}` : '', r.restart ? `restart ${e.data.rids.join(' ')} in place` : ''].filter(Boolean);
  return `${r.action}${flags.length ? ` (${flags.join(', ')})` : ''}: ${e.data.reason ?? '(no reason recorded)'}`;
}

/** An intent compared with a recorded decision: the same action, with the same flags. */
function sameAs(i: Intent, r: Recorded): boolean {
  if (i.kind !== 'RunAction') return false;
  const x = i as Intent & { readonly restart?: boolean; readonly rids?: readonly string[] };
  const restart = x.restart === true;
  return i.action === r.action && i.relocation === r.relocation && i.takeover === r.takeover && restart === r.restart && (!restart || (x.rids ?? []).join(' ') === (r.rids ?? []).join(' '));
}

function intentText(i: Intent): string {
  if (i.kind === 'RunAction') {
    const x = i as Intent & { readonly restart?: boolean; readonly rids?: readonly string[] };
    const flags = [i.relocation ? 'relocation' : '', i.takeover !== undefined ? `takeover from ${i.takeover}` : '', x.restart === true ? `restart ${(x.rids ?? []).join(' ')} in place` : ''].filter(Boolean);
    return `${i.action}${flags.length ? ` (${flags.join(', ')})` : ''}: ${i.reason}`;
  }
  const kind: string = i.kind;
  return `${kind === 'Ignore' ? 'not acting' : kind}: ${i.reason}`;
}

const short = (checksum: string) => checksum.slice(0, 12);

/** Replay `events` (this node's log, in order) and re-check every orchestrator decision of this node. */
export function audit(events: readonly Applied[], inputs: AuditInputs): AuditReport {
  const lastReadyChange = events.reduce((seq, a) => {
    const e = a.event;
    return e.type === 'NodeConfigChanged' && e.origin === inputs.node && e.data.changed.includes('node.ready_period') ? a.streamSeq : seq;
  }, 0);
  const instances = new InstancesProjection();
  let nodes: NodesFacts = {};
  /** per service and node, the checksum of its config as last recorded there */
  const checksums = new Map<string, string>();
  const configs = new LoggedConfigs();
  const decisions: AuditedDecision[] = [];
  try {
    for (const a of events) {
      const e = a.event;
      const svc = e.svc;
      if (e.type === 'ActionStarted' && svc !== undefined && e.data.user === 'orchestrator' && (inputs.since === undefined || Date.parse(e.time) >= inputs.since)) {
        const [verdict, now] = reDecide(e, svc, a.streamSeq);
        decisions.push({ id: e.id, streamSeq: a.streamSeq, time: e.time, node: e.origin, svc, recorded: recordedText(e), verdict, now });
      }
      instances.apply(a);
      nodes = evolveNodeFacts(nodes, e);
      configs.apply(e);
      if (e.type === 'ServiceCreated' || e.type === 'ServiceConfigChanged') checksums.set(`${e.svc}\u0000${e.origin}`, e.data.checksum);
      else if (e.type === 'ServiceDeleted' && e.data.rids.length === 0) checksums.delete(`${e.svc}\u0000${e.origin}`);
    }
  } finally {
    instances.stop();
  }

  function reDecide(e: Envelope<'ActionStarted'>, svc: string, streamSeq: number): [AuditVerdict, string] {
    const decider = e.origin;
    if (decider !== inputs.node) return ['unchecked', `cannot re-check here: what ${decider} had received from its peers when it decided is in ${decider}'s log (run nodemgr audit there)`];
    const checksum = checksums.get(`${svc}\u0000${decider}`);
    if (checksum === undefined) return ['unchecked', `cannot re-check: ${svc}'s config on ${decider} not in the log (no ServiceCreated or ServiceConfigChanged of ${decider} before it)`];
    const cfg = configs.of(svc, decider) ?? inputs.configAt(svc, checksum, decider);
    if ('unusable' in cfg) return ['unchecked', `cannot re-check: ${svc}'s config then (checksum ${short(checksum)}) recorded without its content, and ${cfg.unusable}`];
    const f = nodeFactsOf(nodes, decider);
    const peers = cfg.nodes.filter((n) => n !== decider);
    if (peers.length > 0 && f.daemonStarted === undefined) return ['unchecked', `cannot re-check: ${decider}'s daemon start not in the log, so what its heartbeats knew of ${peers.join(', ')} is not either`];
    const facts = (readyPeriodMs: number): ClusterFacts => ({
      node: decider,
      nodeFrozen: f.frozen,
      // the peers heard of that were frozen then (nodemgr freeze, drain): no candidates for a start
      frozenNodes: Object.keys(f.peers).filter((n) => nodeFactsOf(nodes, n).frozen),
      peers: Object.fromEntries(Object.entries(f.peers).map(([n, p]): [string, PeerState] => [n, p.state])),
      peerWhy: Object.fromEntries(Object.entries(f.peers).map(([n, p]) => [n, p.why])),
      services: [serviceFacts(cfg, decider, instances)],
      readyPeriodMs,
      pending: { [svc]: HELD },
      // rule 12: the peers the decider reported heard since its daemon started, the grace from its start
      ...(inputs.rejoinGraceMs !== undefined && f.daemonStartedAt !== undefined ? { rejoin: { until: Date.parse(f.daemonStartedAt) + inputs.rejoinGraceMs, joined: f.joined ?? [] } } : {}),
    });
    const now = Date.parse(e.time);
    const recorded = recordedOf(e);
    const intent = decide(facts(inputs.readyPeriodMs), now)[0];
    if (intent === undefined) return ['unchecked', `cannot re-check: today's decide returned nothing for ${svc}`];
    const same = sameAs(intent, recorded);
    if (streamSeq < lastReadyChange) {
      // node.ready_period changed since: the decision is re-checked only if it does not depend on it
      const others = READY_PERIODS_MS.map((ms) => sameAs(decide(facts(ms), now)[0]!, recorded));
      if (others.some((x) => x !== same)) return ['unchecked', `cannot re-check: node.ready_period of ${decider} then not in the log (changed since), and the decision depends on it`];
    }
    return [same ? 'same' : 'different', intentText(intent)];
  }

  return {
    decisions,
    assumptions: [
      "a service's config: as the deciding node's records carried it then; one recorded without its content (before configs were carried): this node's file, when its checksum is the one recorded",
      `node.ready_period: ${inputs.readyPeriodMs / 1000}s${inputs.rejoinGraceMs !== undefined ? `, node.rejoin_grace_period: ${inputs.rejoinGraceMs / 1000}s` : ''}, as ${inputs.node}'s node.conf says now (a hand edit of node.conf is not in the log)`,
      'waits are not re-checked: when a start began to wait (ready_period) is not in the log, it is taken as held; what was decided is',
      `only ${inputs.node}'s decisions are re-checked here: each node's log holds its peers' events in the order it received them`,
    ],
  };
}
