import { performance } from 'node:perf_hooks';
import { DiskHeartbeat, diskHeartbeatKey } from '../../../adapters/heartbeat/disk.js';
import type { HeartbeatConfig, NodeConfig } from '../../../domain/config/node.js';
import type { PathReading } from '../../../domain/heartbeat/peers.js';
import type { DaemonLogger } from '../log.js';
import type { ThreadTable } from '../threads.js';

interface Running {
  readonly sig: string;
  readonly path: DiskHeartbeat;
}

/**
 * The disk heartbeats of the config ([hb#N] type = disk), each a
 * DiskHeartbeat writing this node's beat and reading the peers' on the
 * shared device: started, restarted on any change of what they depend on
 * (device, nodes, secret, timings), stopped when gone. svcmon shows each as
 * `hb#N.rx` (the peers it sees) and `hb#N.tx` (the device it writes).
 */
export class DiskPaths {
  private readonly paths = new Map<string, Running>();

  constructor(private readonly o: { readonly node: string; readonly cluster: string; readonly threads: ThreadTable; readonly log: DaemonLogger; readonly onChange: () => void }) {}

  async reconcile(conf: NodeConfig): Promise<void> {
    const want = new Map(conf.hbs.filter((h): h is HeartbeatConfig & { dev: string } => h.type === 'disk' && h.dev !== undefined).map((h) => [h.rid, h]));
    const secret = conf.cluster.secret ?? '';
    for (const [rid, r] of [...this.paths]) {
      const h = want.get(rid);
      if (h && r.sig === this.sig(h, conf, secret)) continue;
      this.paths.delete(rid);
      await r.path.stop();
      this.o.threads.delete(`${rid}.rx`);
      this.o.threads.delete(`${rid}.tx`);
    }
    for (const [rid, h] of want) {
      if (this.paths.has(rid) || secret === '') continue;
      const path = new DiskHeartbeat({
        rid,
        dev: h.dev,
        node: this.o.node,
        nodes: conf.cluster.nodes,
        cluster: this.o.cluster,
        key: diskHeartbeatKey(secret),
        intervalMs: h.interval * 1000,
        timeoutMs: h.timeout * 1000,
        now: () => performance.now(),
        onChange: (peer, state, detail) => {
          this.o.log.info({ hb: rid, peer, state, detail }, 'disk heartbeat: peer state');
          this.o.onChange();
        },
        onPathChange: (state, detail) => {
          const th = state === 'starting' ? 'starting' : state === 'running' ? 'running' : state === 'failed' ? 'failed' : 'stopped';
          this.o.threads.set(`${rid}.rx`, th, { address: h.dev, ...(detail !== undefined ? { detail } : {}) });
          this.o.threads.set(`${rid}.tx`, th, { ...(detail !== undefined ? { detail } : {}) });
          if (state === 'failed') this.o.log.error({ hb: rid, dev: h.dev, detail }, 'disk heartbeat failed');
          this.o.onChange();
        },
      });
      this.paths.set(rid, { sig: this.sig(h, conf, secret), path });
      await path.start();
    }
  }

  /** What each disk path says of a peer. */
  readings(peer: string): PathReading[] {
    // a peer never seen beating on the disk is not proven down by it: it may not have started its disk heartbeat yet
    return [...this.paths.values()].map(({ path }) => {
      const state = path.peerState(peer);
      return { rid: path.rid, kind: 'disk', state: state === 'down' && path.lastSeen(peer) === undefined ? 'unknown' : state };
    });
  }

  /** In how many ms a disk path may judge the peer otherwise with no new read (undefined: none will). */
  nextJudgementIn(peer: string): number | undefined {
    const ins = [...this.paths.values()].flatMap(({ path }) => path.nextJudgementIn(peer) ?? []);
    return ins.length > 0 ? Math.min(...ins) : undefined;
  }

  /** The per-node cells of the hb#N.rx/tx lines: `O` beating, `X` not, `/` this node. */
  refreshCells(nodes: readonly string[]): void {
    for (const [rid, { path }] of this.paths) {
      const running = path.pathState().state === 'running';
      const rx = Object.fromEntries(nodes.map((n) => [n, n === this.o.node ? '/' : path.peerState(n) === 'up' ? 'O' : 'X']));
      const tx = Object.fromEntries(nodes.map((n) => [n, n === this.o.node ? '/' : running ? 'O' : 'X']));
      for (const [name, peers] of [[`${rid}.rx`, rx], [`${rid}.tx`, tx]] as const) {
        const t = this.o.threads.get(name);
        if (t) this.o.threads.set(name, t.state, { peers });
      }
    }
  }

  async stop(): Promise<void> {
    for (const [rid, r] of this.paths) {
      await r.path.stop();
      this.o.threads.set(`${rid}.rx`, 'stopped');
      this.o.threads.set(`${rid}.tx`, 'stopped');
    }
    this.paths.clear();
  }

  private sig(h: HeartbeatConfig, conf: NodeConfig, secret: string): string {
    return JSON.stringify([h.dev, h.interval, h.timeout, conf.cluster.nodes, secret]);
  }
}
