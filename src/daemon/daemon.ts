import fs from 'node:fs';
import os from 'node:os';
import { FileLock } from '../../adapters/fs/lock.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { Spool } from '../../adapters/nats/spool.js';
import { driverFor as defaultDriverFor } from '../action/drivers.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import type { NodeConfig } from '../../domain/config/node.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import type { AnyEvent, NewEvent } from '../../domain/events.js';
import { MEMBERSHIP_TYPES, membershipEvent, membershipOf } from '../../projections/membership.js';
import { LoggedConfigs } from '../../projections/serviceConfigs.js';
import { loadClusterIdentity, nodename } from '../config/identity.js';
import { loadNodeConfig, updateNodeConfig } from '../config/nodeConfig.js';
import { setValue } from '../../domain/config/document.js';
import { natsTarget } from '../events/natsTarget.js';
import { drainEvents, drainSpool, openEventSink } from '../events/open.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import { Listener } from './listener.js';
import { runHostAction } from '../../adapters/system/hostAction.js';
import { ReplayGuard } from './auth.js';
import type { GateOptions } from './gate.js';
import { keyFingerprint, loadNodeKey, PeerKeys } from '../config/nodeKeys.js';
import { installedSvcmgrPath, localChecksum, receiveConfig } from '../sync/receive.js';
import { Heartbeats } from './hb/heartbeats.js';
import { acceptJoin } from './hb/join.js';
import type { PeerStatus } from './hb/protocol.js';
import { Orchestrator } from './orchestrator.js';
import { announcements } from '../../domain/orchestration/announce.js';
import { setFrozen } from '../action/statusCache.js';
import { serviceExists } from '../config/serviceFiles.js';
import type { PeerState } from '../../domain/orchestration/decide.js';
import type { ActionBody, TargetBody } from './api.js';
import { requestTarget, type TargetAnswer } from './targets.js';
import { drainNode, type DrainOutcome } from './drain.js';
import { runAction } from '../action/runner.js';
import { loadServiceConfig } from '../config/serviceStore.js';
import { ConflictError, UnavailableError } from '../../domain/errors.js';
import type { DaemonLogger } from './log.js';
import { Monitor } from './monitor.js';
import { startExporter, type Exporter } from './export.js';
import { AsOfKeeper } from './asOfKeeper.js';
import { startNats } from './nats.js';
import type { NatsHandle } from './nats.js';
import { changedServices, daemonStatus, serviceStatus } from './readModel.js';
import type { DaemonStatus, ServiceStatusOptions } from './readModel.js';
import type { ServiceStatusView } from '../../projections/statusView.js';
import { recoverInterruptedActions } from './recovery.js';
import { Scheduler } from './scheduler.js';
import { ServiceCatalog } from './services.js';
import { serialSink } from './serialSink.js';
import { snapshotPath } from './snapshot.js';
import { ThreadTable } from './threads.js';
import { agentVersion } from './version.js';

export interface DaemonOptions {
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly log: DaemonLogger;
  readonly driverFor?: (conf: ResourceConfig) => ResourceDriver;
  readonly snapshotEvery?: number;
  /** how often actions left in progress by a dead process are looked for, after the start-up pass */
  readonly recoveryEveryMs?: number;
  /** how often the log's --at checkpoints are looked at (60 s; the first look 30 s after the start) */
  readonly asOfCheckMs?: number;
  /** how often the orchestrator looks, besides on every new event */
  readonly orchestrateEveryMs?: number;
}

/**
 * The node's agent: NATS first (everything else appends to it), the
 * projections rebuilt from the log, interrupted actions recorded, then the
 * scheduler and the listener. Stopping leaves the services as they are:
 * the daemon is not the services.
 */
export class Daemon {
  readonly threads = new ThreadTable();
  readonly node: string;
  private nats: NatsHandle | undefined;
  private store: EventStore | undefined;
  private sink: EventSink | undefined;
  private monitor: Monitor | undefined;
  private scheduler: Scheduler | undefined;
  private orchestrator: Orchestrator | undefined;
  private listener: Listener | undefined;
  private peerKeys: PeerKeys | undefined;
  private hb: Heartbeats | undefined;
  private exporter: Exporter | undefined;
  private asOf: AsOfKeeper | undefined;
  private catalog: ServiceCatalog;
  private nodeConf: NodeConfig | undefined;
  private cluster = '';
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering = false;
  private readonly pending: NewEvent[] = [];
  /** joins, leaves and removals heard from the log, applied one at a time: each may rewrite cluster.nodes */
  private membership: Promise<void> = Promise.resolve();
  /** every node's config of every service, as the log carries them: what svcmon and print status show alike on every node */
  private readonly configs = new LoggedConfigs();
  private readonly ac = new AbortController();
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** resolves once stop() has finished */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));

  constructor(private readonly o: DaemonOptions) {
    this.node = nodename(o.env);
    this.catalog = new ServiceCatalog(o.paths, this.node);
  }

  get log(): DaemonLogger {
    return this.o.log;
  }

  /** pid of the embedded nats-server, for the exit hook and tests */
  get natsPid(): number | undefined {
    return this.nats?.pid;
  }

  /** Append, or keep for later when the sink is not open yet (nats-server events during start-up). */
  private emit(e: NewEvent): void {
    if (!this.sink) {
      this.pending.push(e);
      return;
    }
    this.sink.append(e).catch((err: unknown) => this.o.log.error({ type: e.type, err: (err as Error).message }, 'event not appended'));
  }

  async start(): Promise<void> {
    const { paths, env, log } = this.o;
    const conf = loadNodeConfig(paths, env);
    this.nodeConf = conf;
    this.cluster = loadClusterIdentity(paths).name;
    log.info({ version: agentVersion(), cluster: this.cluster }, 'daemon starting');

    this.nats = await startNats(paths, conf, this.node, this.threads, log, {
      onStarted: (pid, url) => this.emit({ type: 'NatsServerStarted', data: { pid, url } }),
      // the daemon's own stop of the server is recorded by DaemonStopped
      onExited: (exit, willRestart) => {
        if (willRestart) this.emit({ type: 'NatsServerExited', data: { pid: exit.pid, ...(exit.code !== null ? { code: exit.code } : {}), ...(exit.signal !== null ? { signal: exit.signal } : {}) } });
      },
    });
    // the stream limits of node.conf, as every opener passes them: none undoes another's
    this.store = await EventStore.open({ ...this.nats.endpoint, cluster: this.cluster, limits: natsTarget(paths).limits, name: `hasvcd-${this.node}`, connectTimeoutMs: 5000 });
    await this.drainSpool(this.store);
    this.sink = serialSink(await openEventSink(paths, env, { onWarning: (m) => log.warn(m) }));
    for (const e of this.pending.splice(0)) this.emit(e);
    const started = await this.sink.append({ type: 'DaemonStarted', data: { pid: process.pid, version: agentVersion() } });

    this.monitor = new Monitor({
      store: this.store,
      cluster: this.cluster,
      snapshotFile: snapshotPath(paths),
      threads: this.threads,
      log,
      onApplied: (e) => {
        this.orchestrator?.poke();
        this.configs.apply(e.event);
        const m = membershipEvent(e.event);
        if (m !== undefined) this.membership = this.membership.then(() => this.followMembership(e.event, m.node));
        for (const a of announcements(e.event, this.node, (svc) => this.runsHere(svc), () => this.catalog.names())) void this.announce(a.svc, a.reason, e.event.id);
      },
      ...(this.o.snapshotEvery !== undefined ? { snapshotEvery: this.o.snapshotEvery } : {}),
    });
    await this.monitor.start();
    // after the monitor's start: what it applies meanwhile comes again here, harmlessly
    for (const type of LoggedConfigs.types) await this.store.replay({ subject: `osvc.${this.cluster}.evt.*.svc.*.${type}` }, (e) => this.configs.apply(e.event));
    this.catalog.refresh();
    // not awaited: an interrupted action's commands still running are waited for (recovery.ts), the daemon's start is not;
    // meanwhile its instance shows `starting` or `stopping`, on which nothing is decided
    void this.recover();

    this.scheduler = new Scheduler({ paths, node: this.node, catalog: this.catalog, sink: this.sink, threads: this.threads, log, driverFor: this.o.driverFor ?? defaultDriverFor, signal: this.ac.signal });
    this.scheduler.start();
    this.orchestrator = new Orchestrator({
      paths,
      node: this.node,
      monitor: this.monitor,
      catalog: this.catalog,
      sink: this.sink,
      log,
      driverFor: this.o.driverFor ?? defaultDriverFor,
      signal: this.ac.signal,
      peers: () => this.peerStates(),
      readyPeriod: () => this.nodeConf?.node.readyPeriod ?? 5,
      startedAt: Date.parse(started.time),
      rejoinGracePeriod: () => this.nodeConf?.node.rejoinGracePeriod ?? 90,
      caughtUp: () => this.projectionsCaughtUp(2000),
      ...(this.o.orchestrateEveryMs !== undefined ? { intervalMs: this.o.orchestrateEveryMs } : {}),
    });
    this.orchestrator.start();

    // one door for the listener and the heartbeats: one replay guard, one set of pinned keys
    const nodeKey = loadNodeKey(paths);
    this.peerKeys = new PeerKeys(paths);
    const gate: GateOptions = {
      self: this.node,
      secret: () => loadClusterIdentity(paths).secret,
      keys: this.peerKeys,
      guard: new ReplayGuard(),
      now: Date.now,
      onPinned: (node, key) => {
        log.warn({ node, fingerprint: keyFingerprint(key) }, 'node key pinned at first contact');
        this.emit({ type: 'NodeKeyPinned', data: { node, fingerprint: keyFingerprint(key), by: 'first contact' } });
      },
    };
    this.listener = new Listener({
      addr: conf.listener.addr,
      port: conf.listener.port,
      ...(conf.listener.tls ? { tls: { cert: fs.readFileSync(conf.listener.tls.cert, 'utf8'), key: fs.readFileSync(conf.listener.tls.key, 'utf8') } } : {}),
      socket: paths.daemonSocket,
      gate,
      api: {
        ping: () => ({ node: this.node, pid: process.pid }),
        status: () => this.status(),
        serviceStatus: (svc) => (this.monitor ? serviceStatus(svc, this.node, this.monitor.projection, this.catalog.get(svc), (n) => { const st = this.hb?.peer(n)?.state; return st !== undefined && st !== 'up'; }, this.statusOptions()) : undefined),
        events: (since, limit) => this.monitor!.eventsSince(since, limit),
        eventsPage: (since, limit) => this.monitor!.eventsPage(since, limit),
        waitForEvent: (since, ms, signal) => this.monitor!.waitForEvent(since, ms, signal),
        stop: () => void this.stop('stop requested through the listener'),
        sync: (ms) => this.syncProjections(ms),
        refreshStatus: (svc) => this.refreshStatus(svc),
        runAction: (svc, req, print, signal) => this.runAction(svc, req, print, signal),
        setFrozen: (svc, frozen, by) => this.setInstanceFrozen(svc, frozen, by),
        receiveConfig: (svc, body, from) => this.receiveConfig(svc, body, from),
        configChecksum: (svc) => ({ checksum: localChecksum(this.o.paths, svc) ?? null }),
        join: (node, key) => this.join(node, key),
        leave: () => this.leave(),
        requestTarget: (svc, req) => this.requestTarget(svc, req),
        drain: (by, print, signal) => this.drain(by, print, signal),
      },
      threads: this.threads,
      log,
      onRejected: (reason, peer, count) => this.emit({ type: 'RequestRejected', data: { reason, peer, count } }),
      web: { paths, env, node: this.node, log, store: () => this.store, append: (e) => this.sink!.append(e), lastAction: (svc, n) => this.monitor?.projection.get(svc, n)?.lastAction },
    });
    await this.listener.start();
    this.emit({ type: 'ListenerStarted', data: { addr: conf.listener.addr, port: conf.listener.port, socket: paths.daemonSocket } });

    this.hb = new Heartbeats({ paths, env, node: this.node, cluster: this.cluster, store: this.store, threads: this.threads, log, localStatus: () => this.localStatus(), boot: started.seq,
      gate,
      key: nodeKey,
      onPeerChange: (node, from, to) => {
        this.emit({ type: 'PeerStateChanged', data: { node, ...(from ? { from: from.state } : {}), to: to.state, why: to.why } });
        this.orchestrator?.poke();
      },
      onConfig: (c) => {
        this.nodeConf = c;
      },
      onQuorumChange: (q) => {
        this.emit({ type: 'QuorumChanged', data: { held: q.has, votes: q.votes, total: q.total } });
        if (!q.has) void this.splitAction(`quorum lost: ${q.votes} of ${q.total} votes`);
        this.orchestrator?.poke();
      },
    });
    await this.hb.start();
    // last, and not waited for: the cluster never depends on the export
    this.exporter = startExporter(conf, { node: this.node, cluster: this.cluster, local: this.nats.endpoint, paths, log, emit: (e) => this.emit(e) });
    // svcmon --at answers from checkpoints of the log: kept cut as it grows
    this.asOf = new AsOfKeeper({ paths, cluster: this.cluster, endpoint: this.nats.endpoint, limits: natsTarget(paths).limits, store: () => this.store, log, ...(this.o.asOfCheckMs !== undefined ? { firstAfterMs: this.o.asOfCheckMs, everyMs: this.o.asOfCheckMs } : {}) });
    this.asOf.start();

    this.recoveryTimer = setInterval(() => void this.recover(), this.o.recoveryEveryMs ?? 30_000);
    this.recoveryTimer.unref();
    log.info({ listener: this.listener.address, socket: paths.daemonSocket, services: this.catalog.names().length }, 'daemon started');
  }

  private runsHere(svc: string): boolean {
    const i = this.monitor?.projection.get(svc, this.node);
    return i !== undefined && (i.avail === 'up' || i.avail === 'warn');
  }

  /**
   * Tell the neighbours again where the service's addresses are (gratuitous
   * ARP), as domain/orchestration/announce.ts says when: each announce is a
   * ResourceLogged line of the service, caused by the event that called for it.
   */
  private async announce(svc: string, reason: string, causation: string): Promise<void> {
    const cfg = this.catalog.get(svc)?.config;
    if (cfg === undefined || this.sink === undefined) return;
    const driverFor = this.o.driverFor ?? defaultDriverFor;
    for (const conf of cfg.resources) {
      if (conf.disable) continue;
      const driver = driverFor(conf);
      if (driver.announce === undefined) continue;
      const ctx = { signal: this.ac.signal, nodename: this.node, svc: cfg, paths: this.o.paths, force: false, log: () => undefined };
      let message: string;
      let level: 'info' | 'warn' = 'info';
      try {
        if ((await driver.announce(ctx)) === 'not here') continue;
        message = `${driver.label()} announced again: ${reason}`;
      } catch (err) {
        level = 'warn';
        message = `${driver.label()} not announced again (${reason}): ${(err as Error).message}`;
      }
      this.emit({ type: 'ResourceLogged', svc, rid: conf.rid, causation, data: { level, message } });
    }
  }

  /**
   * Peers' liveness for the orchestrator: up while their heartbeats come,
   * down once lost, unknown until heard from. Without heartbeats every peer
   * is unknown, and a multi-node service waits rather than risk running twice.
   */
  private peerStates(): Record<string, { state: PeerState; why: string; behind?: boolean }> {
    const out: Record<string, { state: PeerState; why: string; behind?: boolean }> = {};
    for (const n of this.nodeConf?.cluster.nodes ?? []) {
      const p = n === this.node ? undefined : this.hb?.peer(n);
      if (p) out[n] = { state: p.state, why: p.why, ...(p.status?.behind === true ? { behind: true } : {}) };
    }
    return out;
  }

  /** What the heartbeats tell peers about this node. */
  private localStatus(): PeerStatus {
    const instances: Record<string, { avail: string; overall: string; frozen: boolean }> = {};
    const projection = this.monitor?.projection;
    for (const svc of projection?.services() ?? []) {
      const s = projection?.get(svc, this.node);
      if (s) instances[svc] = { avail: s.avail, overall: s.overall, frozen: s.frozen };
    }
    return { load15m: os.loadavg()[2] ?? 0, frozen: this.monitor?.nodeFrozen(this.node) ?? false, instances };
  }

  /** POST /cluster/join: the signer becomes a member; its heartbeats are expected from now on. */
  private async join(node: string, key: string): Promise<unknown> {
    const keys = this.peerKeys!;
    if (keys.get(node) !== key) {
      keys.pin(node, key);
      await this.sink?.append({ type: 'NodeKeyPinned', data: { node, fingerprint: keyFingerprint(key), by: 'join' } });
    }
    const { answer, events } = acceptJoin(this.o.paths, this.o.env, this.cluster, node, { ...keys.all(), [this.node]: loadNodeKey(this.o.paths).publicKey });
    for (const e of events) await this.sink?.append(e);
    try {
      this.nodeConf = loadNodeConfig(this.o.paths, this.o.env);
    } catch {
      /* keep the config known */
    }
    await this.hb?.reconcile();
    this.o.log.info({ node }, 'node joined the cluster');
    return answer;
  }

  /**
   * A node joined the cluster through a peer (its NodeJoined reached this
   * node in that peer's own, signed beats): it becomes a member here too —
   * cluster.nodes written by this daemon, its key pinned — so its beats are
   * taken and this node beats to it. Membership follows the log on every node.
   */
  private async learnMember(node: string, key: string | undefined, via: string): Promise<void> {
    try {
      const conf = loadNodeConfig(this.o.paths, this.o.env);
      if (key !== undefined && this.peerKeys?.get(node) !== key && node !== this.node) {
        this.peerKeys?.pin(node, key);
        await this.sink?.append({ type: 'NodeKeyPinned', data: { node, fingerprint: keyFingerprint(key), by: `join through ${via}` } });
      }
      if (conf.cluster.nodes.includes(node)) return;
      const changes = updateNodeConfig(this.o.paths, this.o.env, (docs) => ({ ...docs, cluster: setValue(docs.cluster, 'cluster', 'nodes', [...conf.cluster.nodes, node].join(' ')) }));
      for (const c of changes) await this.sink?.append({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } });
      this.nodeConf = loadNodeConfig(this.o.paths, this.o.env);
      this.o.log.info({ node, via }, 'node joined the cluster through a peer');
      await this.hb?.reconcile();
    } catch (e) {
      this.o.log.error({ node, via, err: (e as Error).message }, 'membership: a join learned from the log not applied');
    }
  }

  /**
   * A node left the cluster or was removed from it (its NodeLeft, or a
   * NodeRemoved recorded anywhere, reached this node in the log): it is no
   * longer a member here either — cluster.nodes written by this daemon, its
   * beats refused, this node's beats to it stopped after a heartbeat timeout.
   * Its key stays pinned: a rejoin with the same key needs nothing more.
   */
  private async forgetMember(node: string, via: string): Promise<void> {
    const conf = loadNodeConfig(this.o.paths, this.o.env);
    if (!conf.cluster.nodes.includes(node)) return;
    const changes = updateNodeConfig(this.o.paths, this.o.env, (docs) => ({ ...docs, cluster: setValue(docs.cluster, 'cluster', 'nodes', conf.cluster.nodes.filter((n) => n !== node).join(' ')) }));
    for (const c of changes) await this.sink?.append({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } });
    this.nodeConf = loadNodeConfig(this.o.paths, this.o.env);
    this.o.log.info({ node, via }, via === node ? 'node left the cluster' : 'node removed from the cluster');
    await this.hb?.reconcile();
  }

  /**
   * A join, leave or removal heard from the log: what the log says of the
   * node now — the newest of its joins, leaves and removals, whatever order
   * they came in (projections/membership.ts) — is made true here.
   */
  private async followMembership(ev: AnyEvent, node: string): Promise<void> {
    // this node's own joins and leave are done where they are recorded
    if ((ev.type === 'NodeJoined' || ev.type === 'NodeLeft') && ev.origin === this.node) return;
    try {
      const says = membershipOf(node, await this.membershipEvents());
      if (node === this.node) {
        if (says === 'gone' && ev.type === 'NodeRemoved' && ev.origin !== this.node) await this.standAlone(`removed from the cluster by ${ev.origin}`);
      } else if (says === 'member' && ev.type === 'NodeJoined') await this.learnMember(node, ev.data.key, ev.origin);
      else if (says === 'gone') await this.forgetMember(node, ev.origin);
    } catch (e) {
      this.o.log.error({ node, event: ev.id, err: (e as Error).message }, 'membership: a change learned from the log not applied');
    }
  }

  /** Every join, leave and removal the stream holds: rare, read by subject. */
  private async membershipEvents(): Promise<AnyEvent[]> {
    const out: AnyEvent[] = [];
    for (const type of MEMBERSHIP_TYPES) await this.store?.replay({ subject: `osvc.${this.cluster}.evt.*.node.${type}` }, (e) => out.push(e.event));
    return out;
  }

  /**
   * POST /cluster/leave (nodemgr daemon leave): NodeLeft recorded, and
   * carried by this node's beats to every peer beating, each holding it
   * before this node goes (10 s at most); then a cluster of its own.
   */
  private async leave(): Promise<{ node: string; told: string[]; missed: { node: string; why: string }[] }> {
    const hb = this.hb;
    if (!this.sink || !hb) throw new UnavailableError('the daemon is starting: try again');
    const peers = loadNodeConfig(this.o.paths, this.o.env).cluster.nodes.filter((n) => n !== this.node);
    if (peers.length === 0) throw new ConflictError(`daemon leave: ${this.node} is a cluster of its own: there is nothing to leave`);
    const left = await this.sink.append({ type: 'NodeLeft', data: { node: this.node } });
    const live = peers.filter((n) => hb.peer(n)?.state === 'up');
    const told = new Set<string>();
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const n of live) if (hb.acked(n) >= left.seq) told.add(n);
      if (told.size === live.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.standAlone('left the cluster');
    const missed = peers.filter((n) => !told.has(n)).map((n) => ({ node: n, why: live.includes(n) ? 'did not acknowledge it within 10 s' : `not beating (${hb.peer(n)?.state ?? 'unknown'})` }));
    return { node: this.node, told: [...told].sort(), missed };
  }

  /**
   * This node out of its cluster (it left, or was removed): a cluster of
   * its own, as OpenSVC leaves it — cluster.nodes this node alone, the node
   * frozen so nothing orchestrates here until an operator thaws it. Name,
   * secret and keys are kept: `daemon join` takes it back.
   */
  private async standAlone(reason: string): Promise<void> {
    const changes = updateNodeConfig(this.o.paths, this.o.env, (docs) => ({ ...docs, cluster: setValue(docs.cluster, 'cluster', 'nodes', this.node) }));
    for (const c of changes) await this.sink?.append({ type: 'NodeConfigChanged', data: { file: c.file, changed: [...c.changed] } });
    if (!this.monitor?.nodeFrozen(this.node)) await this.sink?.append({ type: 'NodeFrozen', data: {} });
    this.nodeConf = loadNodeConfig(this.o.paths, this.o.env);
    this.o.log.warn({ reason }, 'this node is a cluster of its own now, frozen');
    await this.hb?.reconcile();
  }

  /** A freeze or thaw asked by a peer (cluster-wide `svc1 thaw`): recorded here as this node's own. */
  private async setInstanceFrozen(svc: string, frozen: boolean, by: string): Promise<boolean> {
    if (!this.sink || !serviceExists(this.o.paths, svc)) return false;
    await this.sink.append({ type: frozen ? 'InstanceFrozen' : 'InstanceThawed', svc, data: {} });
    setFrozen(this.o.paths, svc, frozen);
    this.o.log.info({ svc, frozen, by }, frozen ? 'instance frozen' : 'instance thawed');
    this.orchestrator?.poke();
    return true;
  }

  /**
   * The quorum is lost: node.split_action. crash and reboot go to the kernel
   * (refused where HASVC_NO_HOST_ACTIONS is set: then as freezestop);
   * freezestop freezes the node, so nothing starts here any more, and stops
   * every service running here, as a crash would have, the agent staying up
   * to tell. Each is an event saying what was actually done.
   */
  private async splitAction(reason: string): Promise<void> {
    const action = this.nodeConf?.node.splitAction ?? 'crash';
    if (action === 'crash' || action === 'reboot') {
      this.o.log.error({ action, reason }, 'split action');
      // recorded before the kernel is asked: the log tells why the node went down
      await this.sink?.append({ type: 'SplitActionRan', data: { action, done: action, reason } });
      const refused = runHostAction(action, this.o.env);
      this.o.log.error({ action, refused }, 'split action not carried out: freezestop instead');
      this.emit({ type: 'SplitActionRan', data: { action, done: 'freezestop', reason: `${reason}; ${refused}` } });
    } else this.emit({ type: 'SplitActionRan', data: { action, done: 'freezestop', reason } });
    await this.sink?.append({ type: 'NodeFrozen', data: {} });
    const projection = this.monitor?.projection;
    for (const svc of this.catalog.names()) {
      const s = projection?.get(svc, this.node);
      if (!s || (s.avail !== 'up' && s.avail !== 'warn')) continue;
      const config = this.catalog.get(svc)?.config;
      if (!config || !this.sink) continue;
      await runAction(
        { svc: config, action: 'stop', selection: {}, force: true, argv: ['split', 'stop'], user: 'split_action', reason: `${reason}: split action ${action}` },
        { nodename: this.node, paths: this.o.paths, sink: this.sink, print: (l) => this.o.log.info({ svc }, l), driverFor: this.o.driverFor ?? defaultDriverFor, signal: this.ac.signal, now: () => Date.now(), lockTimeoutMs: 10_000 },
      ).catch((e: unknown) => this.o.log.error({ svc, err: (e as Error).message }, 'split action: stop failed'));
    }
  }

  /** POST /daemon/drain (nodemgr drain): drain.ts, in the daemon, so the stops are its own and its peers follow them. */
  private drain(by: string, print: (line: string) => void, signal: AbortSignal): Promise<DrainOutcome> {
    const { sink, monitor } = this;
    if (!sink || !monitor) throw new UnavailableError('the daemon is starting: try again');
    this.o.log.info({ by }, 'node drain');
    return drainNode(
      {
        node: this.node,
        paths: this.o.paths,
        sink,
        projection: monitor.projection,
        nodeFrozen: () => monitor.nodeFrozen(this.node),
        services: () => this.catalog.refresh().flatMap((n) => this.catalog.get(n)?.config ?? []),
        driverFor: this.o.driverFor ?? defaultDriverFor,
        signal: AbortSignal.any([signal, this.ac.signal]),
      },
      by,
      print,
    );
  }

  /** POST /services/<svc>/target: an operator's target, checked against what the orchestrator knows now (targets.ts). */
  private requestTarget(svc: string, req: TargetBody): Promise<TargetAnswer> {
    const { sink, orchestrator, monitor } = this;
    if (!sink || !orchestrator || !monitor) throw new UnavailableError('the daemon is starting: try again');
    return requestTarget(
      {
        sink,
        view: async (name) => {
          await this.syncProjections(5000);
          const entry = this.catalog.get(name);
          if (entry === undefined) return { error: `service ${name} is not configured on this node` };
          return orchestrator.view(name) ?? { error: `${name}: ${entry.error ?? 'config not usable'}` };
        },
        lastSeq: () => monitor.lastSeq,
        poke: () => orchestrator.poke(),
      },
      svc,
      req,
    );
  }

  /** Read your writes: wait until the projections hold what the stream holds now. */
  private async projectionsCaughtUp(timeoutMs: number): Promise<boolean> {
    if (!this.store || !this.monitor) return false;
    const info = await this.store.jsm.streams.info(this.store.auditStream);
    return this.monitor.caughtUpTo(info.state.last_seq, timeoutMs);
  }

  private async syncProjections(timeoutMs: number): Promise<void> {
    if (!this.store || !this.monitor) return;
    const info = await this.store.jsm.streams.info(this.store.auditStream);
    await this.monitor.caughtUpTo(info.state.last_seq, timeoutMs);
  }

  /**
   * POST /services/<svc>/status: the local instance probed now, what changed
   * recorded (print status never records itself), answered once the
   * projections hold it. undefined: no such service here.
   */
  private async refreshStatus(svc: string): Promise<ServiceStatusView | undefined> {
    if (!this.scheduler || !this.monitor) throw new UnavailableError('the daemon is starting: try again');
    if (!serviceExists(this.o.paths, svc)) return undefined;
    await this.scheduler.refresh(svc);
    await this.syncProjections(5000);
    const peerDown = (n: string) => {
      const st = this.hb?.peer(n)?.state;
      return st !== undefined && st !== 'up';
    };
    return serviceStatus(svc, this.node, this.monitor.projection, this.catalog.get(svc), peerDown, this.statusOptions());
  }

  /** What print status reads besides the projection: the configs the log holds, the peers beating. */
  private statusOptions(): ServiceStatusOptions {
    return { logged: this.configs, peerUp: (n) => this.hb?.peer(n)?.state === 'up' };
  }

  /** An action asked for through the listener: the same runner as the CLI's, in the daemon. */
  private async runAction(svc: string, req: ActionBody, print: (line: string) => void, signal: AbortSignal): Promise<boolean> {
    if (!this.sink) throw new UnavailableError('the daemon is starting: try again');
    const config = await loadServiceConfig(this.o.paths, svc, this.o.env);
    const out = await runAction(
      { svc: config, action: req.action, selection: { rids: req.rids, tags: req.tags, subsets: req.subsets }, force: req.force, argv: req.argv, ...(req.user ? { user: req.user } : {}) },
      {
        nodename: this.node,
        paths: this.o.paths,
        sink: this.sink,
        print,
        driverFor: this.o.driverFor ?? defaultDriverFor,
        signal: AbortSignal.any([signal, this.ac.signal]),
        now: () => Date.now(),
      },
    );
    return out.ok;
  }

  /** POST /services/<svc>/config: a peer's `sync nodes`; what was written is known to the scheduler at once. */
  private async receiveConfig(svc: string, body: unknown, from: string): Promise<{ status: number; body: unknown }> {
    if (!this.sink) throw new UnavailableError('the daemon is starting: try again');
    const r = await receiveConfig(
      { paths: this.o.paths, node: this.node, sink: this.sink, svcmgrPath: installedSvcmgrPath(), driverFor: this.o.driverFor ?? defaultDriverFor, signal: this.ac.signal },
      svc,
      body,
      from,
    );
    if (!r.ok) {
      this.o.log.warn({ svc, from, reason: r.reason }, 'service config refused');
      return { status: r.status, body: { error: r.reason } };
    }
    if (r.result !== 'unchanged') this.catalog.refresh();
    // written otherwise than sent (a launcher mode masked): said in the log and to the sender
    if (r.notes.length > 0) this.o.log.warn({ svc, from, result: r.result, notes: r.notes }, 'service config received, not exactly as sent');
    else this.o.log.info({ svc, from, result: r.result }, 'service config received');
    return { status: 200, body: { result: r.result, checksum: r.checksum, node: r.node, notes: r.notes } };
  }

  /**
   * What the CLI spooled while NATS was down goes to the stream first, in order, once; what
   * cannot, beside the spool. Never blocks the start: a drain that fails leaves the spool to
   * the sink, whose every append drains it first.
   */
  private async drainSpool(store: EventStore): Promise<void> {
    const lock = new FileLock(this.o.paths.writerLock);
    await lock.acquire(30_000, 'event writer');
    try {
      const r = await drainSpool(store, new Spool(this.o.paths.spool), (m) => this.o.log.warn(m));
      if (r.drained > 0) this.o.log.info({ count: r.drained }, 'spooled events appended to the stream');
      for (const e of drainEvents(r)) this.emit(e);
    } catch (e) {
      this.o.log.warn(`spool not drained at start, left for the next append: ${(e as Error).message}`);
    } finally {
      lock.release();
    }
  }

  private async recover(): Promise<void> {
    if (this.recovering || !this.monitor || !this.store || !this.sink || this.ac.signal.aborted) return;
    this.recovering = true;
    try {
      await recoverInterruptedActions({
        paths: this.o.paths,
        node: this.node,
        store: this.store,
        monitor: this.monitor,
        catalog: this.catalog,
        sink: this.sink,
        driverFor: this.o.driverFor ?? defaultDriverFor,
        signal: this.ac.signal,
        log: this.o.log,
      });
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'interrupted actions not checked');
    } finally {
      this.recovering = false;
    }
  }

  status(): DaemonStatus {
    let clusterNodes = this.nodeConf?.cluster.nodes ?? [this.node];
    try {
      clusterNodes = loadNodeConfig(this.o.paths, this.o.env).cluster.nodes;
    } catch {
      /* an invalid node.conf being edited: keep the nodes known at start */
    }
    const monitor = this.monitor;
    if (!monitor) throw new Error('the monitor is not started');
    this.hb?.refreshCells();
    return daemonStatus({
      decisions: this.orchestrator?.reasons() ?? {},
      warnings: [...clusterWarnings(this.nodeConf), ...(this.exporter?.warnings() ?? [])],
      node: this.node,
      cluster: this.cluster,
      pid: process.pid,
      version: agentVersion(),
      threads: this.threads.list(),
      jobs: this.scheduler?.list() ?? [],
      clusterNodes,
      load15m: os.loadavg()[2] ?? 0,
      nodeFrozen: (n) => monitor.nodeFrozen(n),
      projection: monitor.projection,
      localServices: this.catalog.names(),
      localConfig: (svc) => this.catalog.cached(svc),
      peer: (n) => {
        const p = this.hb?.peer(n);
        return p ? { load15m: p.status?.load15m, state: p.state, why: p.why } : undefined;
      },
      logged: this.configs,
      changedSince: (seq) => changedServices(monitor.eventsSince(seq, 5000), seq, monitor.projection.lastSeq),
      ...(this.hb ? { heartbeats: this.hb.traffic() } : {}),
    });
  }

  /** Stop everything this daemon started, in the reverse order; services are left as they are. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.o.log;
      log.info({ reason }, 'daemon stopping');
      if (this.recoveryTimer) clearInterval(this.recoveryTimer);
      const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
        try {
          await fn();
        } catch (e) {
          log.error({ err: (e as Error).message }, `${what} not stopped cleanly`);
        }
      };
      await step('listener', () => this.listener?.stop());
      await step('heartbeats', () => this.hb?.stop());
      await step('orchestrator', () => this.orchestrator?.stop());
      await step('export', () => this.exporter?.stop());
      await step('as-of checkpoints', () => this.asOf?.stop());
      await step('scheduler', () => this.scheduler?.stop(() => this.ac.abort()));
      this.ac.abort();
      await step('monitor', () => this.monitor?.stop());
      await step('DaemonStopped', () => this.sink?.append({ type: 'DaemonStopped', data: { pid: process.pid } }));
      await step('sink', () => this.sink?.close());
      await step('store', () => this.store?.close());
      await step('nats', () => this.nats?.stop());
      this.monitor?.projection.stop();
      log.info('daemon stopped');
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

/**
 * What svcmon warns an operator of in the cluster's config: with one
 * network heartbeat path and neither a disk heartbeat nor a quorum with an
 * arbitrator, a node that goes silent can never be proven down, so its
 * services are never taken over (and a partition never runs them twice).
 */
export function clusterWarnings(conf: NodeConfig | undefined): string[] {
  if (!conf || conf.cluster.nodes.length < 2) return [];
  const out: string[] = [];
  const disk = conf.hbs.some((h) => h.type === 'disk');
  const arbitrated = conf.cluster.quorum && (conf.cluster.nodes.length > 2 || conf.arbitrators.length > 0);
  if (!disk && !arbitrated) out.push(`a cluster of ${conf.cluster.nodes.length} nodes with no disk heartbeat and no quorum: a silent node is never proven down, its services never taken over (add [hb#N] type = disk, or cluster.quorum = true with an [arbitrator#N])`);
  if (!conf.listener.seal) out.push('[listener] seal = false: this node sends heartbeats and config pushes in clear');
  return out;
}
