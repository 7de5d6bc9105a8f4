import fs from 'node:fs';
import { getValue, sectionNames, setValue } from '../../../domain/config/document.js';
import { checkNodeDocuments } from '../../../domain/config/node.js';
import type { IniDocument } from '../../../domain/config/document.js';
import { ConfigError, ConflictError, HasvcError, UnavailableError, UsageError } from '../../../domain/errors.js';
import type { NewEvent } from '../../../domain/events.js';
import { nodename, readConfigDocument } from '../../config/identity.js';
import { updateNodeConfig } from '../../config/nodeConfig.js';
import { isDaemonUp, peerRequest } from '../../daemon/client.js';
import { loadNodeKey, PeerKeys } from '../../config/nodeKeys.js';
import { isJoinAnswer } from '../../daemon/hb/join.js';
import type { JoinAnswer } from '../../daemon/hb/join.js';
import { parseHostPort, peerAddress } from '../../daemon/hb/peers.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { startDaemon, stopDaemon } from './control.js';

const SECRET_RE = /^[0-9a-f]{32}$/;

/** Append node events through the node's sink (the spool when NATS is down): the sink opened for the cluster cluster.conf names now. */
async function record(ctx: CliContext, events: readonly NewEvent[]): Promise<void> {
  const { openEventSink } = await import('../../events/open.js');
  const sink = await openEventSink(ctx.paths, ctx.env);
  try {
    for (const e of events) await sink.append(e);
  } finally {
    await sink.close();
  }
}

function withJoin(cluster: IniDocument, answer: JoinAnswer, secret: string, adding: readonly JoinAnswer['hbs'][number][]): IniDocument {
  let c = setValue(cluster, 'cluster', 'name', answer.cluster);
  c = setValue(c, 'cluster', 'secret', secret);
  c = setValue(c, 'cluster', 'nodes', answer.nodes.join(' '));
  for (const hb of adding) {
    c = setValue(c, hb.rid, 'type', hb.type);
    if (hb.port !== 10000) c = setValue(c, hb.rid, 'port', String(hb.port));
    if (hb.timeout !== 15) c = setValue(c, hb.rid, 'timeout', String(hb.timeout));
    if (hb.interval !== 5) c = setValue(c, hb.rid, 'interval', String(hb.interval));
    if (hb.dev !== undefined) c = setValue(c, hb.rid, 'dev', hb.dev);
  }
  for (const [node, p] of Object.entries(answer.peers)) {
    if (p.addr !== undefined) c = setValue(c, `peer#${node}`, 'addr', p.addr);
    if (p.port !== undefined) c = setValue(c, `peer#${node}`, 'port', String(p.port));
  }
  return c;
}

/**
 * nodemgr daemon join --secret SECRET --node NODE [--addr HOST[:PORT]]
 *
 * Asks NODE's listener (POST /cluster/join, signed with SECRET) to take this
 * node in; NODE answers with its cluster name, nodes and heartbeats. Then,
 * the local node frozen meanwhile (nothing orchestrates on a half-joined
 * node), cluster.conf takes the cluster's name, secret, nodes and
 * heartbeats; a running daemon restarts when the cluster name changed (its
 * stream is the cluster's), else picks the heartbeats up at once.
 * A refused secret writes nothing.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon join', ['secret', 'node', 'addr']);
  const secret = opt(ctx.args, 'secret');
  const target = opt(ctx.args, 'node');
  if (!secret || !target) throw new UsageError('daemon join: --secret SECRET and --node NODE are required');
  if (!SECRET_RE.test(secret)) throw new UsageError('daemon join: --secret must be 32 lowercase hexadecimal digits (nodemgr get --param cluster.secret on the node to join)');
  const me = nodename(ctx.env);
  if (target === me) throw new UsageError(`daemon join: ${me} is this node: join another node of the cluster`);
  // read without generating a cluster identity: a refused join writes nothing
  const docs = { node: readConfigDocument(ctx.paths.nodeConf).doc, cluster: readConfigDocument(ctx.paths.clusterConf).doc };
  const checked = checkNodeDocuments(docs, me);
  if (!checked.ok) throw new ConfigError(checked.problems);
  const conf = checked.config;
  const addrOpt = opt(ctx.args, 'addr');
  const to = addrOpt !== undefined ? parseHostPort(addrOpt, conf.listener.port) : (({ host, listenerPort }) => ({ host, port: listenerPort }))(peerAddress(conf, target));
  if (!to) throw new UsageError(`daemon join: --addr ${addrOpt ?? ''}: expected HOST or HOST:PORT`);

  let r;
  try {
    // a node set up for HTTPS ([listener] tls_*) joins a cluster that speaks it
    const tls = conf.listener.tls ? { tls: { ca: conf.listener.tls.ca !== undefined ? fs.readFileSync(conf.listener.tls.ca, 'utf8') : undefined } } : {};
    r = await peerRequest({ host: to.host, port: to.port, to: target, node: me, secret, key: loadNodeKey(ctx.paths), seal: conf.listener.seal, ...tls }, 'POST', '/cluster/join', { node: me }, { timeoutMs: 15_000 });
  } catch (e) {
    throw new UnavailableError(`daemon join: ${target} (${to.host}:${to.port}) does not answer: ${(e as Error).message}`, { cause: e });
  }
  if (r.status === 401) throw new HasvcError('CONFLICT', `daemon join: ${target} refused the join: wrong secret (401 unauthorized)`);
  if (r.status !== 200 || !isJoinAnswer(r.body)) {
    const why = typeof r.body === 'object' && r.body !== null && typeof (r.body as { error?: unknown }).error === 'string' ? (r.body as { error: string }).error : `HTTP ${r.status}`;
    throw new UnavailableError(`daemon join: ${target} did not take this node in: ${why}`);
  }
  const answer = r.body;
  // the cluster's node keys, as the node joined knows them: from now on only they speak for their nodes
  const keys = new PeerKeys(ctx.paths);
  for (const [node, key] of Object.entries(answer.keys)) if (node !== me) keys.pin(node, key);
  const line = (msg: string) => ctx.out(`${me.padEnd(12)} ${msg}`);

  const clusterBefore = getValue(docs.cluster, 'cluster', 'name');
  const daemonUp = await isDaemonUp(ctx.paths);
  line('freeze local node');
  // with no daemon, the events would wait in the spool stamped with the old cluster, whose stream the next start no longer opens: all go after the change
  const frozen: NewEvent = { type: 'NodeFrozen', data: {} };
  if (daemonUp) await record(ctx, [frozen]);
  // heartbeats are cluster-wide: added to cluster.conf unless there already (node.conf may tune this node's own)
  const present = new Set(sectionNames(docs.cluster));
  const adding = answer.hbs.filter((h) => !present.has(h.rid));
  for (const hb of adding) line(`add heartbeat ${hb.rid}`);
  const changes = updateNodeConfig(ctx.paths, ctx.env, (docs) => ({ ...docs, cluster: withJoin(docs.cluster, answer, secret, adding) }));
  line(`join node ${target}`);
  const quiet: CliContext = { ...ctx, out: () => undefined };
  if (daemonUp) {
    // the daemon's stream is its cluster's: a new name needs a new start
    if (clusterBefore !== answer.cluster) {
      await stopDaemon(quiet);
      await startDaemon(quiet);
    }
  }
  await record(ctx, [...(daemonUp ? [] : [frozen]), ...changes.map((c): NewEvent => ({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } })), { type: 'NodeThawed', data: {} }]).catch((e: unknown) => {
    throw new ConflictError(`daemon join: joined, but the local node is still frozen: ${(e as Error).message}`);
  });
  line('thaw local node');
  return 0;
}
