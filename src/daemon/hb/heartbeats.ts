import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import https from 'node:https';
import type { EventStore } from '../../../adapters/nats/eventStore.js';
import type { HeartbeatConfig, NodeConfig } from '../../../domain/config/node.js';
import { heartbeatSubject } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import type { NodePaths } from '../../paths.js';
import type { NodeKey } from '../auth.js';
import { peerLiveness, quorum, withQuorum, type Liveness, type PathReading, type QuorumView } from '../../../domain/heartbeat/peers.js';
import { judgeBeat, type BeatTrack } from '../../../domain/heartbeat/beatAge.js';
import { Arbitrators } from './arbitrators.js';
import { DiskPaths } from './diskPaths.js';
import { admit, answer, GateError, type Admitted, type GateOptions } from '../gate.js';
import { hostAnswerOf, KEPT_IDLE_MS, peerRequest } from '../client.js';
import type { DaemonLogger } from '../log.js';
import type { ThreadTable } from '../threads.js';
import { OriginIndex } from './originIndex.js';
import { peerAddress } from './peers.js';
import { BEAT_VERSION, BeatError, MAX_BEAT_BYTES, parseAck, parseBeat, selectBatch } from './protocol.js';
import type { Beat, PeerStatus } from './protocol.js';
import { appendReplicated } from './replicate.js';
import { probeHost } from '../../../adapters/heartbeat/hostProbe.js';

export interface HeartbeatsOptions {
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly node: string;
  readonly cluster: string;
  readonly store: EventStore;
  readonly threads: ThreadTable;
  readonly log: DaemonLogger;
  /** what this node tells its peers about itself */
  readonly localStatus: () => PeerStatus;
  /** how beats are let in (shared with the listener: one replay guard, one set of pinned keys) */
  readonly gate: GateOptions;
  /** this node's key, to sign its beats */
  readonly key: NodeKey;
  /** a peer's liveness changed (every path and the quorum considered) */
  readonly onPeerChange?: (node: string, from: Liveness | undefined, to: Liveness) => void;
  /** the quorum (cluster.quorum = true) was lost or regained by this side */
  readonly onQuorumChange?: (q: QuorumView) => void;
  /** node.conf or cluster.conf was read again, changed (an edit, `nodemgr set`) */
  readonly onConfig?: (conf: NodeConfig) => void;
  /** how often hb#N sections are looked for in the config (added, changed, removed) */
  readonly reconcileMs?: number;
  readonly now?: () => number;
  /** which daemon of this node beats (its DaemonStarted sequence): a peer tells a late beat of an earlier one from this one's */
  readonly boot?: number;
  /** a monotonic clock (ms): how late a beat arrived is measured on it, never on a wall clock */
  readonly mono?: () => number;
}

/** A peer as the heartbeats see it: svcmon's Nodes section, the orchestrator's peers. */
export interface PeerView {
  /** as last heard over the network */
  readonly status: PeerStatus | undefined;
  /** every path and the quorum considered (domain/heartbeat/peers.ts) */
  readonly state: Liveness['state'];
  readonly why: string;
}

interface Rx {
  readonly hb: HeartbeatConfig;
  readonly server: http.Server;
  readonly address: string;
  /** the certificate and key files it serves with: another pair restarts it */
  readonly tls: string;
}

/**
 * Heartbeats speak HTTPS when the node's listener does ([listener] tls_cert,
 * tls_key; the peers' certificates checked against tls_ca): the nodes of a
 * cluster all do, as for the listener. They carry the cluster's events.
 */
function tlsOf(conf: NodeConfig): string {
  const t = conf.listener.tls;
  return t ? `${t.cert}\u0000${t.key}` : '';
}

interface Tx {
  hb: HeartbeatConfig;
  /** peer -> its own beat timer: a dead peer's slow requests never delay the beats to the others */
  readonly timers: Map<string, NodeJS.Timeout>;
  /** peer -> origin -> last sequence the peer holds, from its last answer */
  readonly acks: Map<string, Map<string, number>>;
  /** peer -> last send ok */
  readonly ok: Map<string, boolean>;
  readonly busy: Set<string>;
  /** peer taken out of cluster.nodes -> until when it is still beaten (ms) */
  readonly lingering: Map<string, number>;
}

const MAX_ROUNDS_PER_TICK = 50;

function sameHb(a: HeartbeatConfig, b: HeartbeatConfig): boolean {
  return a.port === b.port && a.addr === b.addr;
}

/**
 * The unicast heartbeats: per [hb#N] of type unicast, hb#N.rx listens on
 * <addr>:<port> (0.0.0.0:10000 by default) and hb#N.tx beats every
 * `interval` to each other node of cluster.nodes, same port. A beat carries
 * the sender's status and the events the peer lacks (protocol.ts); the
 * receiver appends them to its own stream and records HeartbeatReceived in
 * the heartbeat stream. A peer silent for `timeout` is down.
 */
export class Heartbeats {
  private readonly index = new OriginIndex();
  private readonly rx = new Map<string, Rx>();
  private readonly tx = new Map<string, Tx>();
  /** node -> hb rid -> last beat received (ms) */
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly status = new Map<string, PeerStatus>();
  private conf: NodeConfig | undefined;
  private stopFollow: (() => Promise<void>) | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  /** node.conf and cluster.conf as last read (confStamp), and whether the next reconcile reads them whatever */
  private loadedStamp: string | undefined;
  private mustLoad = true;
  private stopped = false;
  /** per peer, when its host last answered a beat that got no heartbeat answer (connection refused or accepted): its kernel lives */
  private readonly hostAnswered = new Map<string, { readonly at: number; readonly what: string }>();
  /** per peer silent for two intervals, when its host was last probed (one probe at a time) */
  private readonly probedAt = new Map<string, number>();
  private readonly probing = new Set<string>();
  /** the last stream sequence the index holds, and whether the follow feeding it stalled */
  private indexed = 0;
  private followStall: { at: number; indexed: number } | undefined;
  private unwatchEnd: (() => void) | undefined;
  private nudgeTimer: NodeJS.Timeout | undefined;
  private readonly disk: DiskPaths;
  private readonly arbitrators: Arbitrators;
  private evalTimer: NodeJS.Timeout | undefined;
  private readonly reported = new Map<string, Liveness>();
  private quorumHeld: boolean | undefined;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly mono: () => number;
  private readonly boot: number;
  /** per peer and hb path, the last fresh beat and the stale ones since (domain/heartbeat/beatAge.ts) */
  private readonly beatTracks = new Map<string, BeatTrack>();
  /** what the receivers read off the wire: beats and their bytes (headers and body as sent, TLS aside), per sender */
  private readonly received = new Map<string, { beats: number; bytes: number }>();
  private readonly readSoFar = new WeakMap<object, number>();

  constructor(private readonly o: HeartbeatsOptions) {
    this.now = o.now ?? Date.now;
    this.mono = o.mono ?? (() => performance.now());
    // no sequence given: the process's start, in ms, orders this daemon after the earlier ones of the node too
    this.boot = o.boot ?? Math.floor(performance.timeOrigin);
    this.startedAt = this.now();
    this.disk = new DiskPaths({ node: o.node, cluster: o.cluster, threads: o.threads, log: o.log, onChange: () => this.evaluate() });
    this.arbitrators = new Arbitrators({ threads: o.threads, log: o.log, everyMs: 1000, onChange: () => this.evaluate() });
  }

  async start(): Promise<void> {
    // the index needs each record's origin and sequence: its message id says them, no body is decoded
    const end = await this.o.store.replayIds({}, (streamSeq, origin, seq) => this.index.add(origin, seq, streamSeq));
    this.indexed = end;
    await this.followFrom(end + 1);
    this.unwatchEnd = this.o.store.watchStreamEnd(1000, (last) => void this.checkFollow(last));
    await this.reconcile();
    this.reconcileTimer = setInterval(() => void this.reconcileSoon(), this.o.reconcileMs ?? 1000);
    this.reconcileTimer.unref();
    this.arbitrators.start();
    this.evaluate();
  }

  private async followFrom(fromSeq: number): Promise<void> {
    const stop = this.stopFollow;
    this.stopFollow = undefined;
    await stop?.().catch(() => undefined);
    this.stopFollow = await this.o.store.follow({ fromSeq }, (e) => {
      this.index.add(e.event.origin, e.event.seq, e.streamSeq);
      this.indexed = Math.max(this.indexed, e.streamSeq);
      if (e.event.origin === this.o.node) this.nudge();
    });
  }

  /**
   * The follow feeding the index can stall (a nats-server restarted under
   * it): behind the stream with no progress for 2 s, follow again from what
   * the index holds. Without this a restarted server's new events waited
   * for a daemon restart to reach the peers. The stream's end is read once
   * a second for the monitor's follow and this one together.
   */
  private async checkFollow(last: number | Error): Promise<void> {
    if (this.stopped) return;
    try {
      if (last instanceof Error) throw last;
      if (this.indexed >= last) {
        this.followStall = undefined;
        return;
      }
      if (!this.followStall || this.indexed > this.followStall.indexed) {
        this.followStall = { at: this.now(), indexed: this.indexed };
        return;
      }
      if (this.now() - this.followStall.at < 2000) return;
      this.o.log.warn({ indexed: this.indexed, streamLast: last }, 'heartbeats: the stream follow stalled: following again');
      this.followStall = undefined;
      await this.followFrom(this.indexed + 1);
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'heartbeats: stream not readable now');
    }
  }

  /**
   * News of this node: beat to every peer now rather than at the next
   * interval, so an event reaches the other nodes in milliseconds (a burst
   * is gathered for 20 ms; a peer being beaten to gets it when that beat
   * ends, as it beats again at once while the peer is behind).
   */
  private nudge(): void {
    if (this.nudgeTimer || this.stopped) return;
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = undefined;
      for (const t of this.tx.values()) for (const peer of t.timers.keys()) if (!t.busy.has(peer) && t.acks.has(peer)) this.schedule(t, peer, 0);
    }, 20);
    this.nudgeTimer.unref();
  }

  /**
   * One timer, for the next instant a peer's liveness may change with no
   * beat received (a beat growing older than its timeout, a peer never
   * heard once the timeout has passed since the start, a disk path's
   * judgement): a lost peer is noticed at its timeout, and an idle daemon
   * does not wake up between. A beat, a disk or arbitrator change and a
   * config change evaluate at once.
   */
  private armEvaluate(conf: NodeConfig): void {
    if (this.evalTimer) clearTimeout(this.evalTimer);
    this.evalTimer = undefined;
    if (this.stopped) return;
    const now = this.now();
    let next = Infinity;
    for (const n of this.peersOf(conf)) {
      for (const h of conf.hbs) {
        if (h.type !== 'unicast') continue;
        // fresh() holds while now - at <= timeout: it changes 1 ms after
        const at = this.seen.get(n)?.get(h.rid) ?? this.startedAt;
        const ends = at + h.timeout * 1000 + 1;
        if (ends > now) next = Math.min(next, ends);
      }
      const disk = this.disk.nextJudgementIn(n);
      if (disk !== undefined) next = Math.min(next, now + Math.max(1, Math.ceil(disk)));
      const host = this.hostAnswered.get(n);
      if (host !== undefined && host.at + this.hostWindowMs(conf) + 1 > now) next = Math.min(next, host.at + this.hostWindowMs(conf) + 1);
      const probe = this.nextProbeAt(conf, n);
      if (probe !== undefined) next = Math.min(next, Math.max(probe, now + 1));
    }
    if (next === Infinity) return;
    this.evalTimer = setTimeout(() => {
      this.evalTimer = undefined;
      this.evaluate();
    }, next - now);
    this.evalTimer.unref();
  }

  /** Report every change of a peer's liveness and of the quorum. */
  private evaluate(): void {
    const conf = this.conf;
    if (!conf || this.stopped) return;
    this.probeSilent(conf);
    this.armEvaluate(conf);
    const { peers, q } = this.livenessAll(conf);
    for (const [node, l] of Object.entries(peers)) {
      const was = this.reported.get(node);
      if (was?.state === l.state) continue;
      this.reported.set(node, l);
      this.o.log.info({ peer: node, from: was?.state, to: l.state, why: l.why }, 'peer state changed');
      this.o.onPeerChange?.(node, was, l);
    }
    if (q.enabled && q.has !== this.quorumHeld) {
      this.quorumHeld = q.has;
      this.o.log[q.has ? 'info' : 'warn']({ votes: q.votes, total: q.total }, q.has ? 'quorum held' : 'quorum lost');
      this.o.onQuorumChange?.(q);
    }
    this.refreshCells();
  }

  /** What the unicast heartbeats say of a peer, one reading per hb#N. */
  private netReadings(conf: NodeConfig, node: string): PathReading[] {
    return conf.hbs
      .filter((h) => h.type === 'unicast')
      .map((h) => {
        const up = this.fresh(node, h.rid, h.timeout);
        const heard = this.seen.get(node)?.has(h.rid) === true;
        const state = up ? 'up' : heard || this.now() - this.startedAt > h.timeout * 1000 ? 'down' : 'unknown';
        return { rid: h.rid, kind: 'net', state };
      });
  }

  private livenessAll(conf: NodeConfig): { peers: Record<string, Liveness>; q: QuorumView } {
    const raw: Record<string, Liveness> = {};
    for (const n of this.peersOf(conf)) {
      const host = this.hostAnswered.get(n);
      const hostAnswers = host !== undefined && this.now() - host.at <= this.hostWindowMs(conf) ? host.what : undefined;
      raw[n] = peerLiveness([...this.netReadings(conf, n), ...this.disk.readings(n)], { daemonStopped: this.status.get(n)?.stopping === true, ...(hostAnswers !== undefined ? { hostAnswers } : {}) });
    }
    const q = quorum(conf.cluster.quorum, raw, { total: this.arbitrators.total, reached: this.arbitrators.reached });
    return { peers: withQuorum(raw, q), q };
  }

  /**
   * A peer silent on every unicast heartbeat for two intervals has its host
   * probed (a TCP connection to its heartbeat port), again each interval
   * while it stays silent: well before its timeout, this side knows whether
   * its kernel still answers (its daemon died or froze: no dead node), and a
   * dead node (no answer) is judged at its timeout as before.
   */
  private nextProbeAt(conf: NodeConfig, n: string): number | undefined {
    const net = conf.hbs.filter((h) => h.type === 'unicast');
    if (net.length === 0) return undefined;
    const interval = Math.min(...net.map((h) => h.interval * 1000));
    const last = Math.max(...net.map((h) => this.seen.get(n)?.get(h.rid) ?? this.startedAt));
    const silentFrom = last + 2 * interval;
    const probed = this.probedAt.get(n);
    return probed !== undefined && probed >= silentFrom ? probed + interval : silentFrom;
  }

  private probeSilent(conf: NodeConfig): void {
    const now = this.now();
    for (const n of this.peersOf(conf)) {
      const at = this.nextProbeAt(conf, n);
      if (at === undefined || at > now || this.probing.has(n)) continue;
      const hb = conf.hbs.find((h) => h.type === 'unicast')!;
      const { host } = peerAddress(conf, n);
      if (isThisHost(host)) continue;
      this.probing.add(n);
      this.probedAt.set(n, now);
      void probeHost(host, hb.port, Math.min(1000, hb.interval * 1000))
        .then((answer) => {
          if (answer === undefined || this.stopped) return;
          const first = !this.hostAnswered.has(n);
          this.hostAnswered.set(n, { at: this.now(), what: `${host}:${hb.port} ${answer === 'refused' ? 'refused the connection' : 'accepted the connection, no answer'}` });
          if (first) this.evaluate();
        })
        .finally(() => this.probing.delete(n));
    }
  }

  /** How long a host's answer counts: the longest heartbeat timeout (beats to a dead daemon are refused every interval). */
  private hostWindowMs(conf: NodeConfig): number {
    return Math.max(1000, ...conf.hbs.map((h) => h.timeout * 1000));
  }

  /** The last sequence of this node's own events a peer acknowledged holding, on any heartbeat (0: none yet). */
  acked(peer: string): number {
    let best = 0;
    for (const t of this.tx.values()) best = Math.max(best, t.acks.get(peer)?.get(this.o.node) ?? 0);
    return best;
  }

  /** Beats received and their bytes, in all and per sender, since the daemon started. */
  traffic(): { readonly beats: number; readonly bytes: number; readonly from: Readonly<Record<string, { readonly beats: number; readonly bytes: number }>> } {
    let beats = 0;
    let bytes = 0;
    for (const r of this.received.values()) {
      beats += r.beats;
      bytes += r.bytes;
    }
    return { beats, bytes, from: Object.fromEntries(this.received) };
  }

  /** The quorum as this side counts it now. */
  quorum(): QuorumView | undefined {
    return this.conf ? this.livenessAll(this.conf).q : undefined;
  }

  /** Start, restart or stop hb#N threads to match the config (read again now); refresh the per-node cells. */
  reconcile(): Promise<void> {
    this.mustLoad = true;
    return this.reconcileSoon();
  }

  private reconcileSoon(): Promise<void> {
    this.reconciling ??= this.doReconcile().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  /**
   * What node.conf and cluster.conf are on disk now, without reading them:
   * an edit, an atomic rewrite (another inode) or a removal changes it.
   */
  private confStamp(): string {
    return [this.o.paths.nodeConf, this.o.paths.clusterConf]
      .map((f) => {
        const st = fs.statSync(f, { throwIfNoEntry: false });
        return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : '-';
      })
      .join(' ');
  }

  private async doReconcile(): Promise<void> {
    if (this.stopped) return;
    // the files are read and parsed again only when they changed (or when asked): an idle daemon only stats them
    const stamp = this.confStamp();
    const load = this.mustLoad || stamp !== this.loadedStamp;
    this.mustLoad = false;
    if (load) {
      this.loadedStamp = stamp;
      try {
        this.conf = loadNodeConfig(this.o.paths, this.o.env);
        this.o.onConfig?.(this.conf);
      } catch (e) {
        if (!this.conf) this.o.log.warn({ err: (e as Error).message }, 'heartbeats: node config unreadable');
      }
    }
    const conf = this.conf;
    if (!conf) return;
    await this.disk.reconcile(conf);
    this.arbitrators.set(conf.arbitrators);
    const hbs = new Map(conf.hbs.filter((h) => h.type === 'unicast').map((h) => [h.rid, h]));
    for (const [rid, r] of [...this.rx]) {
      const want = hbs.get(rid);
      if (!want || !sameHb(want, r.hb) || r.tls !== tlsOf(conf)) {
        this.rx.delete(rid);
        await closeServer(r.server);
        this.o.threads.delete(`${rid}.rx`);
      }
    }
    for (const [rid, t] of [...this.tx]) {
      const want = hbs.get(rid);
      if (want) t.hb = want;
      else {
        this.tx.delete(rid);
        for (const timer of t.timers.values()) clearTimeout(timer);
        t.timers.clear();
        this.o.threads.delete(`${rid}.tx`);
      }
    }
    for (const [rid, hb] of hbs) {
      if (this.stopped) return;
      if (!this.rx.has(rid)) await this.startRx(hb, conf);
      if (!this.tx.has(rid)) {
        const t: Tx = { hb, timers: new Map(), acks: new Map(), ok: new Map(), busy: new Set(), lingering: new Map() };
        this.tx.set(rid, t);
        this.o.threads.set(`${rid}.tx`, 'running');
      }
    }
    // one beat loop per peer and heartbeat, started and stopped as cluster.nodes changes
    const peers = new Set(this.peersOf(conf));
    for (const t of this.tx.values()) {
      for (const [peer, timer] of [...t.timers]) {
        if (peers.has(peer)) {
          t.lingering.delete(peer);
          continue;
        }
        // a node taken out is still beaten for a heartbeat timeout: the events saying so (NodeRemoved) reach it
        const until = t.lingering.get(peer) ?? this.now() + t.hb.timeout * 1000;
        t.lingering.set(peer, until);
        if (this.now() < until) continue;
        clearTimeout(timer);
        t.timers.delete(peer);
        t.ok.delete(peer);
        t.acks.delete(peer);
        t.lingering.delete(peer);
      }
      for (const peer of peers) if (!t.timers.has(peer)) this.schedule(t, peer, 0);
    }
    // another config may change the peers or their timeouts: judged again, the next deadline with it
    if (load) this.evaluate();
    else this.refreshCells();
  }

  private peersOf(conf: NodeConfig): string[] {
    return conf.cluster.nodes.filter((n) => n !== this.o.node);
  }

  private caCache: { file: string; mtimeMs: number; pem: string } | undefined;

  /** How to reach a peer's heartbeat receiver over TLS, when this node's listener speaks it (the CA file re-read when it changes). */
  private peerTls(conf: NodeConfig): { ca: string | undefined } | undefined {
    const t = conf.listener.tls;
    if (!t) return undefined;
    if (t.ca === undefined) return { ca: undefined };
    const mtimeMs = fs.statSync(t.ca).mtimeMs;
    if (this.caCache?.file !== t.ca || this.caCache.mtimeMs !== mtimeMs) this.caCache = { file: t.ca, mtimeMs, pem: fs.readFileSync(t.ca, 'utf8') };
    return { ca: this.caCache.pem };
  }

  /** Bring the hb#N threads' per-node cells up to date (svcmon reads them). */
  refreshCells(): void {
    const conf = this.conf;
    if (!conf) return;
    const nodes = conf.cluster.nodes.includes(this.o.node) ? conf.cluster.nodes : [this.o.node, ...conf.cluster.nodes];
    for (const [rid, r] of this.rx) {
      const cells = Object.fromEntries(nodes.map((n) => [n, n === this.o.node ? '/' : this.fresh(n, rid, r.hb.timeout) ? 'O' : 'X']));
      const t = this.o.threads.get(`${rid}.rx`);
      if (t) this.o.threads.set(`${rid}.rx`, t.state, { peers: cells });
    }
    for (const [rid, t] of this.tx) {
      const cells = Object.fromEntries(nodes.map((n) => [n, n === this.o.node ? '/' : t.ok.get(n) === true ? 'O' : 'X']));
      const th = this.o.threads.get(`${rid}.tx`);
      // beats sent in clear ([listener] seal = false) are said where the operator looks
      if (th) this.o.threads.set(`${rid}.tx`, th.state, { peers: cells, address: conf.listener.seal ? '' : 'in clear' });
    }
    this.disk.refreshCells(nodes);
  }

  private fresh(node: string, rid: string, timeoutS: number): boolean {
    const at = this.seen.get(node)?.get(rid);
    return at !== undefined && this.now() - at <= timeoutS * 1000;
  }

  /** The peer's last status and its liveness, every path and the quorum considered. */
  peer(node: string): PeerView | undefined {
    const conf = this.conf;
    if (!conf || node === this.o.node || !conf.cluster.nodes.includes(node)) return undefined;
    const l = this.livenessAll(conf).peers[node] ?? peerLiveness([]);
    return { status: this.status.get(node), state: l.state, why: l.why };
  }

  private async startRx(hb: HeartbeatConfig, conf: NodeConfig): Promise<void> {
    const host = hb.addr ?? '0.0.0.0';
    const address = `${host}:${hb.port}`;
    const name = `${hb.rid}.rx`;
    const prevDetail = this.o.threads.get(name)?.detail;
    this.o.threads.set(name, 'starting', { address });
    let cert: { cert: string; key: string } | undefined;
    try {
      cert = conf.listener.tls ? { cert: fs.readFileSync(conf.listener.tls.cert, 'utf8'), key: fs.readFileSync(conf.listener.tls.key, 'utf8') } : undefined;
    } catch (e) {
      const detail = `tls: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      this.o.threads.set(name, 'failed', { address, detail });
      if (prevDetail !== detail) this.o.log.error({ hb: hb.rid, err: (e as Error).message }, 'heartbeat receiver cannot read its certificate');
      return;
    }
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.onRequest(hb, req, res).catch((e: unknown) => {
        const status = e instanceof BeatError ? 400 : 500;
        if (status === 500) this.o.log.error({ hb: hb.rid, err: (e as Error).message }, 'heartbeat not handled');
        if (!res.headersSent) answer(res, status, { error: (e as Error).message });
        else res.destroy();
      });
    };
    const server: http.Server = cert ? https.createServer({ ...cert, minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    // beats come on kept connections (client.ts KEPT_IDLE_MS): the sender closes an unused one first
    server.keepAliveTimeout = 2 * KEPT_IDLE_MS;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: hb.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      const detail = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.o.threads.set(name, 'failed', { address, detail });
      // tried again on every reconcile: said once per cause
      if (prevDetail !== detail) this.o.log.error({ hb: hb.rid, address, err: (e as Error).message }, 'heartbeat receiver cannot listen');
      return;
    }
    this.rx.set(hb.rid, { hb, server, address, tls: tlsOf(conf) });
    this.o.threads.set(name, 'running', { address });
    this.o.log.info({ hb: hb.rid, address }, 'heartbeat receiver started');
  }

  private async onRequest(hb: HeartbeatConfig, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedMono = this.mono();
    if (req.method !== 'POST' || req.url !== '/hb') return answer(res, 404, { error: `no route ${req.method ?? ''} ${req.url ?? ''}` });
    let a: Admitted;
    try {
      a = await admit(req, this.o.gate, MAX_BEAT_BYTES);
      this.count(a.node, req);
    } catch (e) {
      if (!(e instanceof GateError)) throw e;
      this.o.log.warn({ hb: hb.rid, peer: req.socket.remoteAddress, reason: e.reason }, 'heartbeat refused');
      return answer(res, e.status, { error: e.message });
    }
    const reply = (status: number, body: unknown) => answer(res, status, body, a);
    let raw: unknown;
    try {
      raw = JSON.parse(a.body.toString('utf8'));
    } catch {
      return reply(400, { error: 'heartbeat body is not valid JSON' });
    }
    let parsed;
    try {
      parsed = parseBeat(raw, this.o.node);
    } catch (e) {
      if (!(e instanceof BeatError)) throw e;
      this.o.log.warn({ hb: hb.rid, from: a.node, err: e.message }, 'heartbeat refused');
      return reply(400, { error: e.message });
    }
    const { beat, rejected } = parsed;
    if (beat.node !== a.node) return reply(400, { error: `heartbeat of ${beat.node} signed by ${a.node}` });
    if (beat.cluster !== this.o.cluster) return reply(409, { error: `cluster ${beat.cluster} is not ours (${this.o.cluster})` });
    if (this.conf && !this.conf.cluster.nodes.includes(beat.node)) return reply(403, { error: `${beat.node} is not a node of cluster ${this.o.cluster}` });
    if (rejected.length > 0) this.o.log.warn({ from: beat.node, hb: hb.rid, count: rejected.length, reasons: rejected.slice(0, 5) }, 'heartbeat events refused');
    const { appended, acks, refused } = await appendReplicated(this.o.store, this.o.paths.writerLock, beat.events, [beat.node]);
    if (refused.length > 0) this.o.log.warn({ from: beat.node, hb: hb.rid, count: refused.length, reasons: refused.slice(0, 5) }, 'heartbeat events out of sequence refused');
    if (appended > 0) this.o.log.debug({ from: beat.node, appended }, 'events replicated');
    // the peer holds events of its own this node lacks yet (its first beat after a restart carries none):
    // it is up, but what the log says of it is older than what it says of itself
    const behind = (beat.heads[beat.node] ?? 0) > (acks[beat.node] ?? 0);
    if (this.onTime(beat, hb, receivedMono)) this.markSeen(beat, hb, behind);
    reply(200, { node: this.o.node, acks });
  }

  /** A beat's bytes as read off its connection (kept alive between beats: what was read since the last one). */
  private count(from: string, req: http.IncomingMessage): void {
    const sock = req.socket;
    const read = sock.bytesRead;
    const bytes = read - (this.readSoFar.get(sock) ?? 0);
    this.readSoFar.set(sock, read);
    const r = this.received.get(from) ?? { beats: 0, bytes: 0 };
    this.received.set(from, { beats: r.beats + 1, bytes: r.bytes + bytes });
  }

  /**
   * Whether the beat says its sender lives now: one TCP held up longer than
   * the path's timeout (a dead daemon's, delivered when a cut link came
   * back) is no sign of life. Its events are stored all the same.
   */
  private onTime(beat: Beat, hb: HeartbeatConfig, receivedMono: number): boolean {
    if (beat.boot === undefined || beat.mono === undefined) return true;
    const key = `${beat.node}\0${hb.rid}`;
    const v = judgeBeat(this.beatTracks.get(key), { boot: beat.boot, sentMono: beat.mono, receivedMono }, hb.timeout * 1000);
    this.beatTracks.set(key, v.track);
    if (!v.fresh) this.o.log.info({ from: beat.node, hb: hb.rid, why: v.why }, 'heartbeat late: not a sign of life');
    return v.fresh;
  }

  private markSeen(beat: Beat, hb: HeartbeatConfig, behind = false): void {
    let m = this.seen.get(beat.node);
    if (!m) {
      m = new Map();
      this.seen.set(beat.node, m);
    }
    const wasUp = this.fresh(beat.node, hb.rid, hb.timeout);
    const wasStopping = this.status.get(beat.node)?.stopping === true;
    m.set(hb.rid, this.now());
    this.status.set(beat.node, behind ? { ...beat.status, behind: true } : beat.status);
    if (!wasUp) this.o.log.info({ from: beat.node, hb: hb.rid }, 'peer beating');
    // what a beat can change of the peer's liveness, judged now (and the next deadline armed); otherwise the armed deadline stands
    if (!wasUp || wasStopping !== (beat.status.stopping === true)) this.evaluate();
    const record = { type: 'HeartbeatReceived', v: 1, cluster: this.o.cluster, origin: this.o.node, time: new Date(this.now()).toISOString(), data: { from: beat.node, hb: hb.rid } };
    this.o.store.publishHeartbeat(heartbeatSubject(this.o.cluster, beat.node), record).catch((e: unknown) => this.o.log.debug({ err: (e as Error).message }, 'HeartbeatReceived not recorded'));
  }

  private schedule(t: Tx, peer: string, ms: number): void {
    if (this.stopped) return;
    const prev = t.timers.get(peer);
    if (prev) clearTimeout(prev);
    const timer = setTimeout(() => {
      const conf = this.conf;
      const done = conf ? this.beatTo(t, conf, peer) : Promise.resolve();
      void done.finally(() => {
        this.refreshCells();
        if (this.tx.get(t.hb.rid) === t && t.timers.get(peer) === timer) this.schedule(t, peer, t.hb.interval * 1000);
      });
    }, ms);
    timer.unref();
    t.timers.set(peer, timer);
  }

  /** Beat to one peer; while it lacks events the stream holds, beat again at once (catching up). */
  private async beatTo(t: Tx, conf: NodeConfig, peer: string): Promise<void> {
    if (t.busy.has(peer)) return;
    t.busy.add(peer);
    try {
      for (let round = 0; round < MAX_ROUNDS_PER_TICK && !this.stopped; round++) {
        // no ack yet (a first beat): it carries nothing, its answer says where the next one, at once, starts
        const acked = t.acks.has(peer);
        const wants = selectBatch(this.index.heads(), t.acks.get(peer), this.o.node);
        const events = await this.read(wants);
        const ok = await this.send(t, conf, peer, events);
        if (!ok || (acked && wants.length === 0)) return;
      }
    } finally {
      t.busy.delete(peer);
    }
  }

  private async read(wants: ReturnType<typeof selectBatch>): Promise<AnyEvent[]> {
    const seqs = wants.flatMap((w) => this.index.after(w.origin, w.after, w.max));
    const events = await Promise.all(seqs.map((s) => this.o.store.eventAt(s)));
    return events.filter((e): e is AnyEvent => e !== undefined);
  }

  private async send(t: Tx, conf: NodeConfig, peer: string, events: AnyEvent[], o: { readonly stopping?: boolean } = {}): Promise<boolean> {
    const secret = conf.cluster.secret;
    if (!secret) return false;
    const beat: Beat = {
      v: BEAT_VERSION,
      cluster: this.o.cluster,
      node: this.o.node,
      hb: t.hb.rid,
      status: { ...this.o.localStatus(), ...(o.stopping ? { stopping: true } : {}) },
      heads: Object.fromEntries(this.index.heads()),
      events,
      boot: this.boot,
      mono: Math.round(this.mono()),
    };
    const { host } = peerAddress(conf, peer);
    const wasOk = t.ok.get(peer);
    try {
      const tls = this.peerTls(conf);
      const target = { host, port: t.hb.port, to: peer, node: this.o.node, secret, key: this.o.key, seal: conf.listener.seal, ...(tls ? { tls } : {}) };
      // a beat older than the peer's timeout says nothing: give up on it by then
      const r = await peerRequest(target, 'POST', '/hb', beat, { timeoutMs: Math.max(1000, Math.min(t.hb.timeout * 1000, Math.max(2000, t.hb.interval * 1000))), now: this.now, keepAlive: true });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${typeof r.body === 'object' && r.body !== null ? String((r.body as { error?: unknown }).error) : String(r.body)}`);
      const ack = parseAck(r.body);
      t.acks.set(peer, new Map(Object.entries(ack.acks)));
      t.ok.set(peer, true);
      this.hostAnswered.delete(peer);
      if (wasOk !== true) this.o.log.info({ to: peer, hb: t.hb.rid, host, port: t.hb.port }, 'heartbeats reach the peer');
      return true;
    } catch (e) {
      t.ok.set(peer, false);
      // a peer that restarted answers afresh: ask where it stands before sending more
      t.acks.delete(peer);
      // its kernel answered where its daemon did not: the node lives (a host of ours proves nothing: the tests' nodes share it)
      const answer = hostAnswerOf(e);
      if (answer !== undefined && !isThisHost(host)) {
        const first = !this.hostAnswered.has(peer);
        this.hostAnswered.set(peer, { at: this.now(), what: `${host}:${t.hb.port} ${answer === 'refused' ? 'refused the connection' : 'accepted the connection, no answer'}` });
        if (first) this.evaluate();
      }
      if (wasOk !== false) this.o.log.warn({ to: peer, hb: t.hb.rid, host, port: t.hb.port, err: (e as Error).message }, 'heartbeat not delivered');
      return false;
    }
  }

  async stop(): Promise<void> {
    // a last beat saying the daemon goes (not the node): its peers do not take its silence for a death
    const conf = this.conf;
    if (conf && !this.stopped) {
      const last = [...this.tx.values()].flatMap((t) => this.peersOf(conf).map((peer) => this.send(t, conf, peer, [], { stopping: true })));
      await Promise.race([Promise.allSettled(last), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.evalTimer) clearTimeout(this.evalTimer);
    this.unwatchEnd?.();
    if (this.nudgeTimer) clearTimeout(this.nudgeTimer);
    await this.arbitrators.stop();
    await this.reconciling?.catch(() => undefined);
    for (const [rid, t] of this.tx) {
      for (const timer of t.timers.values()) clearTimeout(timer);
      t.timers.clear();
      this.o.threads.set(`${rid}.tx`, 'stopped');
    }
    for (const [rid, r] of this.rx) {
      await closeServer(r.server);
      this.o.threads.set(`${rid}.rx`, 'stopped');
    }
    await this.disk.stop();
    await this.stopFollow?.();
  }
}

function closeServer(s: http.Server): Promise<void> {
  if (!s.listening) return Promise.resolve();
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

/** Whether host names this machine (loopback, or one of its own addresses): its answer says nothing of another node. */
function isThisHost(host: string): boolean {
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') return true;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === host));
}
