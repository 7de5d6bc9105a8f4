import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../config/atomicWrite.js';
import type { NodePaths } from '../paths.js';

/** What this node knows of a peer's copy of a service config. */
export interface PeerSyncState {
  /** ms since epoch of the last config sent to it */
  readonly lastSync?: number;
  /** the checksum of its copy when last seen (sync answer or status check); '' when it has none */
  readonly checksum?: string;
  /** ms since epoch of that observation */
  readonly seenAt?: number;
}

export type SyncState = Readonly<Record<string, PeerSyncState>>;

function stateFile(p: NodePaths, svc: string): string {
  return path.join(p.var, 'services', svc, 'sync.json');
}

/**
 * <OSVCVAR>/services/<svc>/sync.json: when the config was last sent to each
 * peer (sync_min_delay) and what each peer was last seen holding, so a
 * status without the service up can still say a passive node needs update.
 */
export function readSyncState(p: NodePaths, svc: string): SyncState {
  try {
    const raw = JSON.parse(fs.readFileSync(stateFile(p, svc), 'utf8')) as unknown;
    return typeof raw === 'object' && raw !== null ? (raw as SyncState) : {};
  } catch {
    return {};
  }
}

/** Merge what was learnt about peers; never throws (a status check must not fail on it). */
export function updateSyncState(p: NodePaths, svc: string, peers: Readonly<Record<string, PeerSyncState>>): void {
  try {
    const cur = readSyncState(p, svc);
    const next: Record<string, PeerSyncState> = { ...cur };
    for (const [node, s] of Object.entries(peers)) next[node] = { ...cur[node], ...s };
    writeFileAtomic(stateFile(p, svc), JSON.stringify(next));
  } catch {
    /* a cache: the next sync or status check writes it again */
  }
}
