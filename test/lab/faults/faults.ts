import { readFileSync } from 'node:fs';
import path from 'node:path';
import { alive, cmd, must, parseMountinfo, sleep } from '../host.js';
import { BRIDGE, nodeProcesses, runIn, type LabInfo, type LabNode } from '../lab.js';

/**
 * Faults done to a lab node from the host, each as a real one looks from the
 * other node and from a client: processes killed or frozen, links cut, packets
 * dropped. Each returns once the fault is in place; the matching repair
 * (nodeReturn, heal, daemonContinue, clearPacketLoss) undoes it. Nothing here
 * waits for the cluster to react: the scenarios do, on the observer's samples.
 */

/** Table of the packet-loss rules, in the node's own network namespace (gone with it). */
const NFT_TABLE = 'hasvc_fault';

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function daemonPid(info: LabInfo, node: LabNode): number | undefined {
  return readPid(path.join(info.nodes[node].var, 'osvcd.pid'));
}

export function natsPid(info: LabInfo, node: LabNode): number | undefined {
  return readPid(path.join(info.nodes[node].var, 'nats', 'nats-server.pid'));
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Power loss: every process of the node killed at once (SIGKILL, again until
 * none is left: a dying launcher may have forked), its link cut on the host
 * side, its addresses flushed, its mounts of the SAN's devices gone (a
 * rebooted node has none). The VG tag stays, as a real power loss leaves it.
 * `spare`: the observer's samplers, which live in the node but are no part of it.
 */
export async function powerLoss(info: LabInfo, node: LabNode, spare: readonly number[] = []): Promise<{ killed: number }> {
  const ni = info.nodes[node];
  const keep = new Set(spare);
  let killed = 0;
  await must(['ip', 'link', 'set', ni.hostVeth, 'down']);
  for (let round = 0; round < 20; round++) {
    const pids = (await nodeProcesses(node)).filter((p) => !keep.has(p) && alive(p));
    if (pids.length === 0) break;
    for (const p of pids) if (signal(p, 'SIGKILL')) killed++;
    await sleep(20);
  }
  await must(['nsenter', `--net=${ni.ns.net}`, '--', 'ip', 'addr', 'flush', 'dev', info.ipdev]);
  await unmountSan(info, node);
  return { killed };
}

/** The node's mounts of the SAN's devices, unmounted inside its mount namespace (the processes using them are gone). */
async function unmountSan(info: LabInfo, node: LabNode): Promise<void> {
  const ni = info.nodes[node];
  const devs = new Set([info.pvDev, info.appDev, info.dataDev, info.hbDev]);
  const table = parseMountinfo(await must(['nsenter', `--mount=${ni.ns.mnt}`, '--', 'cat', '/proc/self/mountinfo']));
  for (const m of table.filter((e) => devs.has(e.source)).reverse()) {
    const r = await cmd(['nsenter', `--mount=${ni.ns.mnt}`, '--', 'umount', m.target]);
    if (r.exitCode !== 0) await must(['nsenter', `--mount=${ni.ns.mnt}`, '--', 'umount', '--lazy', m.target]);
  }
}

/** The node is back after a power loss: link up, its address back, its daemon started (as the agent's unit would). */
export async function nodeReturn(info: LabInfo, node: LabNode, o: { daemon?: boolean } = {}): Promise<void> {
  const ni = info.nodes[node];
  await must(['ip', 'link', 'set', ni.hostVeth, 'master', BRIDGE, 'up']);
  const addr = `${ni.addr}/${info.prefixLength}`;
  const r = await runIn(node, ['ip', '-o', '-4', 'addr', 'show', 'dev', info.ipdev]);
  if (!r.stdout.includes(` ${addr} `)) await must(['nsenter', `--net=${ni.ns.net}`, '--', 'ip', 'addr', 'add', addr, 'dev', info.ipdev]);
  if (o.daemon ?? true) await daemonStart(info, node);
}

export type PartitionKind = 'carrier kept' | 'carrier lost';

/**
 * Cut the node off the network. `carrier kept`: the host side of its veth is
 * taken off the bridge, the node's eth0 stays up (a switch port moved to
 * another VLAN); `carrier lost`: the host side is down, the node's eth0 loses
 * its carrier (a cable pulled). Its processes, addresses and mounts stay.
 */
export async function partition(info: LabInfo, node: LabNode, kind: PartitionKind): Promise<void> {
  const veth = info.nodes[node].hostVeth;
  if (kind === 'carrier kept') await must(['ip', 'link', 'set', veth, 'nomaster']);
  else await must(['ip', 'link', 'set', veth, 'down']);
}

/** Undo a partition (or a power loss's cut link): the host side of the node's veth back on the bridge, up. */
export async function heal(info: LabInfo, node: LabNode): Promise<void> {
  await must(['ip', 'link', 'set', info.nodes[node].hostVeth, 'master', BRIDGE, 'up']);
}

/** kill -9 of the node's daemon alone: its nats-server and the services' processes keep running. */
export async function daemonKill(info: LabInfo, node: LabNode): Promise<number> {
  const pid = daemonPid(info, node);
  if (pid === undefined || !signal(pid, 'SIGKILL')) throw new Error(`${node}: no daemon to kill (no live pid in osvcd.pid)`);
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return pid;
}

/** `nodemgr daemon start` in the node. */
export async function daemonStart(_info: LabInfo, node: LabNode): Promise<void> {
  const r = await runIn(node, ['nodemgr', 'daemon', 'start'], { timeoutMs: 90_000 });
  if (r.exitCode !== 0) throw new Error(`${node}: nodemgr daemon start exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
}

/** `nodemgr daemon stop` in the node: the daemon stops, the services keep running. */
export async function daemonStop(_info: LabInfo, node: LabNode): Promise<void> {
  const r = await runIn(node, ['nodemgr', 'daemon', 'stop'], { timeoutMs: 90_000 });
  if (r.exitCode !== 0) throw new Error(`${node}: nodemgr daemon stop exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
}

/** SIGSTOP the daemon: it neither beats nor acts, nor dies; its nats-server and the services run on. */
export function daemonPause(info: LabInfo, node: LabNode): number {
  const pid = daemonPid(info, node);
  if (pid === undefined || !signal(pid, 'SIGSTOP')) throw new Error(`${node}: no daemon to stop (no live pid in osvcd.pid)`);
  return pid;
}

/** SIGCONT a paused daemon (pid as daemonPause returned it). */
export function daemonContinue(pid: number): void {
  signal(pid, 'SIGCONT');
}

/** kill -9 of the node's nats-server alone: its daemon notices and starts it again. */
export async function natsKill(info: LabInfo, node: LabNode): Promise<number> {
  const pid = natsPid(info, node);
  if (pid === undefined || !signal(pid, 'SIGKILL')) throw new Error(`${node}: no nats-server to kill (no live pid in nats/nats-server.pid)`);
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return pid;
}

/**
 * Drop `percent` % of the packets of the heartbeat path at random, both ways,
 * in the node's network namespace: to and from `port` (this kernel has no
 * netem; nftables' numgen does it).
 */
export async function packetLoss(info: LabInfo, node: LabNode, percent: number, port = 10000): Promise<void> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`packetLoss: ${percent}: a whole percentage, 0 to 100`);
  const rules = [
    `table inet ${NFT_TABLE} {`,
    '  chain input { type filter hook input priority 0; policy accept;',
    `    tcp dport ${port} numgen random mod 100 < ${percent} drop`,
    `    tcp sport ${port} numgen random mod 100 < ${percent} drop`,
    '  }',
    '  chain output { type filter hook output priority 0; policy accept;',
    `    tcp dport ${port} numgen random mod 100 < ${percent} drop`,
    `    tcp sport ${port} numgen random mod 100 < ${percent} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
  await clearPacketLoss(info, node);
  await must(['nsenter', `--net=${info.nodes[node].ns.net}`, '--', 'nft', '-f', '-'], { input: rules });
}

/** Remove the packet-loss rules of the node, if any. */
export async function clearPacketLoss(info: LabInfo, node: LabNode): Promise<void> {
  const net = `--net=${info.nodes[node].ns.net}`;
  if ((await cmd(['nsenter', net, '--', 'nft', 'list', 'table', 'inet', NFT_TABLE])).exitCode === 0) {
    await must(['nsenter', net, '--', 'nft', 'delete', 'table', 'inet', NFT_TABLE]);
  }
}

/** Start both daemons at the same moment (each `nodemgr daemon start` launched before either answers). */
export async function simultaneousStart(info: LabInfo, nodes: readonly LabNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => daemonStart(info, n)));
}
