import fs from 'node:fs';
import path from 'node:path';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';
import { benchNode, percentile, repoRoot } from './daemon.bench.js';
import { actionLog } from './projections.bench.js';
import type { BenchResult } from './report.js';

/**
 * The audit commands on a long log: `why` and `--at` answer from the log, so
 * their cost grows with it unless they read only what they need. A node with
 * `events` recorded events (starts and stops of 100 services by node9, as
 * the engine records them), then each command timed from the CLI, the
 * daemon down (the command reads the store through a server of its own) and
 * up. Goal: 2 s each on 1,000,000 events (the audit issue).
 */
export async function benchAudit(events: number, runs: number): Promise<BenchResult[]> {
  const node = await benchNode(repoRoot(), 2);
  const out: BenchResult[] = [];
  try {
    const cluster = (await node.out('nodemgr', ['get', '--param', 'cluster.name'])).trim();
    await node.cli('nodemgr', ['daemon', 'stop']);
    const natsDir = path.join(node.root, 'var/lib/opensvc/nats');
    const server = new NatsServerSupervisor({ dir: natsDir, port: await freePort(), serverName: 'bench_writer', logFile: path.join(node.root, 'nats-bench.log') });
    await server.start();
    let mid = '';
    try {
      const store = await EventStore.open({ ...server.endpoint, cluster });
      try {
        // recorded after the node's own events (its daemon's start): time goes on as in a real log
        const log = [...actionLog(cluster, events, 'recorded', 'node9', Date.now())];
        mid = log[Math.floor(log.length / 2)]!.time;
        await store.append(log, 256);
      } finally {
        await store.close();
      }
    } finally {
      await server.stop();
    }
    const commands: readonly (readonly [string, string, readonly string[]])[] = [
      ['svcmgr -s svc1 why --last start', 'svcmgr', ['-s', 'svc1', 'why', '--last', 'start']],
      ['svcmgr -s svc1 print history', 'svcmgr', ['-s', 'svc1', 'print', 'history']],
      [`svcmon --at <mid-log time>`, 'svcmon', ['--at', mid]],
      [`svcmon --at seq:<mid-log>`, 'svcmon', ['--at', `seq:${Math.floor(events / 2)}`]],
      [`svcmgr -s svc1 print status --at <mid-log time>`, 'svcmgr', ['-s', 'svc1', 'print', 'status', '--at', mid]],
    ];
    const n = events.toLocaleString('en-US');
    const time = async (daemon: string) => {
      for (const [label, name, args] of commands) {
        // the first run may build what the next ones use (the --at checkpoints, cut once for the log)
        const first = await node.cli(name, args);
        const times: number[] = [];
        for (let i = 0; i < runs; i++) times.push(await node.cli(name, args));
        out.push({ name: `${label} on a ${n}-event log, daemon ${daemon}, first run`, unit: 's', ours: first / 1000 });
        out.push({ name: `${label} on a ${n}-event log, daemon ${daemon} (p50 of ${runs} after it)`, unit: 's', ours: percentile(times, 50) / 1000, goal: 2, lowerIsBetter: true });
      }
    };
    await time('down');
    fs.rmSync(path.join(node.root, 'var/lib/opensvc/projections/instances.json'), { force: true });
    await node.cli('nodemgr', ['daemon', 'start']);
    await time('up');
  } finally {
    await node.close();
  }
  return out;
}
