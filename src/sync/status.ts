import type { DriverContext, ResourceStatus } from '../../adapters/resources/driver.js';
import type { DriverFor } from '../../adapters/resources/registry.js';
import { syncTargets } from '../../domain/sync/conditions.js';
import { loadNodeConfig } from '../config/nodeConfig.js';
import { peerRequest } from '../daemon/client.js';
import { availAppsExcluded } from './avail.js';
import { peerTarget } from './peers.js';
import { localChecksum } from './receive.js';
import { readSyncState, updateSyncState, type PeerSyncState } from './state.js';

/** All peers are asked at once; the whole check stays under this. */
export const PEER_CHECK_TIMEOUT_MS = 1500;

const NEEDS_UPDATE = 'warn: passive node needs update';

type PeerCheck = { readonly node: string; readonly checksum: string } | { readonly node: string; readonly unreachable: string };

async function askPeer(ctx: DriverContext, node: string, signal: AbortSignal): Promise<PeerCheck> {
  try {
    const r = await peerRequest<{ checksum?: unknown }>(peerTarget(ctx.paths, process.env, node), 'GET', `/services/${encodeURIComponent(ctx.svc.name)}/config/checksum`, undefined, { timeoutMs: PEER_CHECK_TIMEOUT_MS, signal });
    if (r.status === 401) return { node, unreachable: `${node} refused our credentials (cluster secret)` };
    if (r.status !== 200 || typeof r.body !== 'object' || r.body === null) return { node, unreachable: `${node} answered ${r.status}` };
    const c = r.body.checksum;
    return { node, checksum: typeof c === 'string' ? c : '' };
  } catch (e) {
    return { node, unreachable: `${node} unreachable: ${(e as Error).message}` };
  }
}

function clusterNodes(ctx: DriverContext): readonly string[] | undefined {
  try {
    return loadNodeConfig(ctx.paths, process.env).cluster.nodes;
  } catch {
    return undefined;
  }
}

/**
 * sync#i0's status, OpenSVC's words:
 *  - service not up here (apps excluded): n/a, `info: paused, service not up`,
 *    but warn `passive node needs update` when a peer was last seen with
 *    another config (the tutorial's status after a stop);
 *  - up: each peer of nodes/drpnodes asked for its config checksum (all at
 *    once, 1.5 s at most; not the ones outside cluster.nodes): up when all
 *    hold ours, warn when one reachable peer holds another or none, n/a with
 *    an info line when some can't be asked.
 * What peers hold is remembered for the next status without the service up.
 * Never throws: a status check reports, it does not fail. `driverFor`: the
 * drivers the service's other resources are checked with.
 */
export async function syncStatus(ctx: DriverContext, driverFor: DriverFor): Promise<ResourceStatus> {
  const svc = ctx.svc;
  const mine = localChecksum(ctx.paths, svc.name);
  const peers = syncTargets(ctx.nodename, svc.nodes, svc.drpnodes);
  let avail: string;
  try {
    avail = await availAppsExcluded(svc, { nodename: ctx.nodename, paths: ctx.paths, driverFor, signal: ctx.signal });
  } catch (e) {
    return { status: 'n/a', log: [`info: paused, service status unknown: ${(e as Error).message}`] };
  }
  if (avail !== 'up') {
    const state = readSyncState(ctx.paths, svc.name);
    const stale = peers.some((n) => state[n]?.checksum !== undefined && state[n]?.checksum !== mine);
    return stale ? { status: 'warn', log: [NEEDS_UPDATE] } : { status: 'n/a', log: ['info: paused, service not up'] };
  }
  if (peers.length === 0) return { status: 'n/a', log: ['info: no other node in nodes or drpnodes'] };
  // a node that has not joined would refuse us (and log it) on every status check: not asked
  const members = clusterNodes(ctx);
  const outside = members === undefined ? [] : peers.filter((n) => !members.includes(n));
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(PEER_CHECK_TIMEOUT_MS + 200)]);
  const checks = [
    ...(await Promise.all(peers.filter((n) => !outside.includes(n)).map((n) => askPeer(ctx, n, signal)))),
    ...outside.map((node): PeerCheck => ({ node, unreachable: `${node} is not in this cluster (cluster.nodes): not asked` })),
  ];
  const now = Date.now();
  const seen: Record<string, PeerSyncState> = {};
  for (const c of checks) if ('checksum' in c) seen[c.node] = { checksum: c.checksum, seenAt: now };
  updateSyncState(ctx.paths, svc.name, seen);
  const stale = checks.filter((c) => 'checksum' in c && c.checksum !== mine);
  const unreachable = checks.flatMap((c) => ('unreachable' in c ? [`info: ${c.unreachable}`] : []));
  if (stale.length > 0) return { status: 'warn', log: [NEEDS_UPDATE, ...unreachable] };
  if (unreachable.length > 0) return { status: 'n/a', log: unreachable };
  return { status: 'up', log: [] };
}
