import { setValue } from '../../../domain/config/document.js';
import { NODE_RE } from '../../../domain/events.js';
import type { NewEvent } from '../../../domain/events.js';
import { loadNodeConfig, updateNodeConfig } from '../../config/nodeConfig.js';
import type { NodePaths } from '../../paths.js';

/** A heartbeat as a joining node copies it into its cluster.conf (addr is each node's own: not copied). */
export interface JoinHeartbeat {
  readonly rid: string;
  readonly type: string;
  readonly port: number;
  readonly timeout: number;
  readonly interval: number;
  /** a disk heartbeat's shared device: the same path on every node */
  readonly dev?: string;
}

/**
 * The answer to POST /cluster/join: what the joining node writes in its
 * cluster.conf. The secret is not in it: the joiner signed the request with
 * it, so it has it already.
 */
export interface JoinAnswer {
  readonly cluster: string;
  readonly nodes: readonly string[];
  readonly hbs: readonly JoinHeartbeat[];
  /** [peer#<node>] addr and port, cluster-wide */
  readonly peers: Readonly<Record<string, { readonly addr?: string; readonly port?: number }>>;
  /** node -> public key (base64 SPKI): the node answering and every peer key it has pinned */
  readonly keys: Readonly<Record<string, string>>;
}

export function isJoinAnswer(x: unknown): x is JoinAnswer {
  if (typeof x !== 'object' || x === null) return false;
  const a = x as Record<string, unknown>;
  return (
    typeof a.cluster === 'string' &&
    Array.isArray(a.nodes) &&
    a.nodes.every((n) => typeof n === 'string' && NODE_RE.test(n)) &&
    Array.isArray(a.hbs) &&
    a.hbs.every((h) => typeof h === 'object' && h !== null && typeof (h as JoinHeartbeat).rid === 'string' && /^hb#[A-Za-z0-9_-]{1,63}$/.test((h as JoinHeartbeat).rid)) &&
    typeof a.peers === 'object' &&
    a.peers !== null &&
    typeof a.keys === 'object' &&
    a.keys !== null &&
    Object.entries(a.keys as Record<string, unknown>).every(([n, k]) => NODE_RE.test(n) && typeof k === 'string' && /^[A-Za-z0-9+/=]{1,200}$/.test(k))
  );
}

/**
 * A node asks to join (its request signed with our secret, checked by the
 * listener): it becomes a member of cluster.nodes, with a unicast heartbeat
 * hb#1 added when the cluster has none. Returns what the joiner needs and the
 * events to record (NodeJoined once, NodeConfigChanged when a file changed).
 */
export function acceptJoin(paths: NodePaths, env: NodeJS.ProcessEnv, cluster: string, joiner: string, keys: Readonly<Record<string, string>>): { answer: JoinAnswer; events: NewEvent[] } {
  const before = loadNodeConfig(paths, env);
  const isNew = !before.cluster.nodes.includes(joiner);
  const needHb = !before.hbs.some((h) => h.type === 'unicast');
  const changes = isNew || needHb
    ? updateNodeConfig(paths, env, (docs) => {
        let c = docs.cluster;
        if (isNew) c = setValue(c, 'cluster', 'nodes', [...before.cluster.nodes, joiner].join(' '));
        if (needHb) c = setValue(c, 'hb#1', 'type', 'unicast');
        return { ...docs, cluster: c };
      })
    : [];
  const conf = loadNodeConfig(paths, env);
  const peers: Record<string, { addr?: string; port?: number }> = {};
  for (const [name, kw] of Object.entries(conf.sections)) {
    const m = /^peer#(.+)$/.exec(name);
    if (!m) continue;
    peers[m[1]!] = { ...(typeof kw.addr === 'string' ? { addr: kw.addr } : {}), ...(typeof kw.port === 'number' ? { port: kw.port } : {}) };
  }
  const answer: JoinAnswer = {
    cluster,
    nodes: conf.cluster.nodes,
    hbs: conf.hbs.map((h) => ({ rid: h.rid, type: h.type, port: h.port, timeout: h.timeout, interval: h.interval, ...(h.dev !== undefined ? { dev: h.dev } : {}) })),
    peers,
    keys,
  };
  const events: NewEvent[] = [
    ...changes.map((c): NewEvent => ({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } })),
    ...(isNew ? [{ type: 'NodeJoined', data: { node: joiner, ...(keys[joiner] !== undefined ? { key: keys[joiner] } : {}) } } as NewEvent] : []),
  ];
  return { answer, events };
}
