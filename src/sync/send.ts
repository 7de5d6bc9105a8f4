import fs from 'node:fs';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { IMPLICIT_SYNC_RID } from '../../domain/config/service.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import { escapeForTerminal } from '../../domain/escape.js';
import { decideSync } from '../../domain/sync/conditions.js';
import { serviceFiles } from '../config/serviceFiles.js';
import { loadServiceConfig } from '../config/serviceStore.js';
import { peerRequest } from '../daemon/client.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import { availAppsExcluded } from './avail.js';
import { buildPayload } from './payload.js';
import { peerTarget } from './peers.js';
import { readSyncState, updateSyncState } from './state.js';

export interface SyncNodesOptions {
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly node: string;
  readonly svc: string;
  readonly force: boolean;
  /** only these nodes (default: every other node of the service) */
  readonly only?: readonly string[];
  readonly sink: EventSink;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** per peer request */
  readonly timeoutMs?: number;
}

export type SyncOutcome =
  | { readonly node: string; readonly sent: true; readonly result: string; readonly checksum: string; readonly notes: readonly string[] }
  | { readonly node: string; readonly sent: false; readonly reason: string };

const DEFAULT_MIN_DELAY_S = 300;

/** A peer's words reach this terminal and this node's events: one line, nothing a terminal acts on. */
function errorOf(body: unknown, status: number): string {
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') return escapeForTerminal((body as { error: string }).error.slice(0, 2000));
  return `HTTP ${status}`;
}

const RESULTS = new Set(['created', 'changed', 'unchanged']);

/** What the peer says it did: its result, and what it wrote otherwise than sent (a launcher mode masked). */
function acceptedOf(body: unknown): { readonly result: string; readonly notes: string[] } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { result?: unknown; notes?: unknown };
  const result = typeof b.result === 'string' && RESULTS.has(b.result) ? b.result : 'changed';
  const notes = Array.isArray(b.notes) ? b.notes.filter((n): n is string => typeof n === 'string').slice(0, 100).map((n) => escapeForTerminal(n.slice(0, 500))) : [];
  return { result, notes };
}

/**
 * `svc1 sync nodes`: the config and launchers of a service to its other
 * nodes, each through the peer's listener, signed with the cluster secret.
 * Every target ends as a ServiceConfigSynced or a ServiceConfigSyncRefused.
 */
export async function syncNodes(o: SyncNodesOptions): Promise<SyncOutcome[]> {
  const svc = await loadServiceConfig(o.paths, o.svc, o.env);
  const sync = svc.resources.find((r) => r.rid === IMPLICIT_SYNC_RID);
  const minDelay = typeof sync?.kw.sync_min_delay === 'number' ? sync.kw.sync_min_delay : DEFAULT_MIN_DELAY_S;
  const state = readSyncState(o.paths, o.svc);
  const avail = await availAppsExcluded(svc, { nodename: o.node, paths: o.paths, driverFor: o.driverFor, signal: o.signal });
  const verdicts = decideSync({
    svc: o.svc,
    from: o.node,
    nodes: svc.nodes,
    drpnodes: svc.drpnodes,
    asked: o.only,
    availAppsExcluded: avail,
    lastSync: Object.fromEntries(Object.entries(state).map(([n, s]) => [n, s.lastSync])),
    minDelay,
    force: o.force,
    now: o.now(),
  });
  const text = fs.readFileSync(serviceFiles(o.paths, o.svc).conf, 'utf8');
  const payload = verdicts.some((v) => v.send) ? buildPayload(o.paths, o.svc, text) : undefined;
  const out: SyncOutcome[] = [];
  const refuse = async (node: string, reason: string) => {
    await o.sink.append({ type: 'ServiceConfigSyncRefused', svc: o.svc, data: { to: node, reason } });
    out.push({ node, sent: false, reason });
  };
  for (const v of verdicts) {
    if (!v.send) {
      await refuse(v.node, v.reason);
      continue;
    }
    const p = payload!;
    const requested = await o.sink.append({ type: 'ServiceConfigSyncRequested', svc: o.svc, data: { to: v.node, checksum: p.checksum } });
    let answer;
    try {
      answer = await peerRequest(peerTarget(o.paths, o.env, v.node), 'POST', `/services/${encodeURIComponent(o.svc)}/config`, { ...p, causation: requested.id }, { timeoutMs: o.timeoutMs ?? 30_000, signal: o.signal });
    } catch (e) {
      await refuse(v.node, `${v.node} did not answer: ${escapeForTerminal((e as Error).message)}`);
      continue;
    }
    if (answer.status === 401) {
      await refuse(v.node, `${v.node} refused the request (401): this node is not trusted there, the cluster secrets differ (nodemgr daemon join)`);
      continue;
    }
    if (answer.status !== 200) {
      await refuse(v.node, `${v.node} refused the config (${answer.status}): ${errorOf(answer.body, answer.status)}`);
      continue;
    }
    const { result, notes } = acceptedOf(answer.body);
    await o.sink.append({ type: 'ServiceConfigSynced', svc: o.svc, causation: requested.id, data: { to: v.node, checksum: p.checksum, result } });
    updateSyncState(o.paths, o.svc, { [v.node]: { lastSync: o.now(), checksum: p.checksum, seenAt: o.now() } });
    out.push({ node: v.node, sent: true, result, checksum: p.checksum, notes });
  }
  return out;
}
