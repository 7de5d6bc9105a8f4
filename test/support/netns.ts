import type { TestScope } from './scope.js';
import { must, run, type ShResult } from './sh.js';

/**
 * Network namespaces and veth pairs for tests. Addresses come from
 * 10.200.0.0/16 (private, never routed off the machine) and are only put on
 * interfaces these helpers create: the host's real interfaces are left alone.
 */

/** A new netns with its loopback up. */
export async function createNetns(scope: TestScope, name = scope.name('n')): Promise<string> {
  scope.track({ kind: 'netns', name });
  await must(['ip', 'netns', 'add', name]);
  await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export interface VethPair {
  /** the end in the test's own (root) namespace */
  readonly host: string;
  /** the end moved into `netns` */
  readonly peer: string;
  readonly netns: string;
}

/**
 * A veth pair between the root namespace and `netns`, both ends up, each
 * with an optional address (`10.200.7.1/24`).
 */
export async function createVeth(
  scope: TestScope,
  netns: string,
  o: { hostAddr?: string; peerAddr?: string; host?: string; peer?: string } = {},
): Promise<VethPair> {
  const host = o.host ?? scope.name('h');
  const peer = o.peer ?? scope.name('p');
  scope.track({ kind: 'link', name: host });
  await must(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', netns]);
  if (o.hostAddr) await must(['ip', 'addr', 'add', o.hostAddr, 'dev', host]);
  if (o.peerAddr) await must(['ip', '-n', netns, 'addr', 'add', o.peerAddr, 'dev', peer]);
  await must(['ip', 'link', 'set', host, 'up']);
  await must(['ip', '-n', netns, 'link', 'set', peer, 'up']);
  return { host, peer, netns };
}

/**
 * A /24 of 10.200.100-249.0 with no address on this machine yet, as
 * `10.200.X` (append `.1`, `.42`...). Random, so parallel runs rarely meet.
 */
export async function freeSubnet(): Promise<string> {
  const used = await must(['ip', '-o', '-4', 'addr', 'show']);
  for (let i = 0; i < 50; i++) {
    const x = 100 + Math.floor(Math.random() * 150);
    if (!used.includes(` 10.200.${x}.`)) return `10.200.${x}`;
  }
  throw new Error('no free 10.200.X.0/24 subnet found');
}

/** Run a command inside a netns. */
export function nsRun(netns: string, argv: readonly string[], timeoutMs = 30_000): Promise<ShResult> {
  return run(['ip', 'netns', 'exec', netns, ...argv], { timeoutMs });
}

/** Addresses (`a.b.c.d/nn`) on an interface, of the root namespace or of `netns`. */
export async function addressesOf(dev: string, netns?: string): Promise<string[]> {
  const out = await must(['ip', ...(netns ? ['-n', netns] : []), '-o', 'addr', 'show', 'dev', dev]);
  return [...out.matchAll(/\binet6?\s+(\S+)/g)].map((m) => m[1] ?? '');
}

export async function pingFrom(netns: string, addr: string): Promise<boolean> {
  return (await nsRun(netns, ['ping', '-c', '1', '-W', '1', addr])).exitCode === 0;
}

const PY_GET = [
  'import sys, urllib.request',
  'try:',
  '    print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode(), end="")',
  'except Exception as e:',
  '    print(e, file=sys.stderr); sys.exit(1)',
].join('\n');

/** HTTP GET from inside a netns (python3's urllib: no curl needed). */
export async function httpGetFrom(netns: string, url: string, timeoutSec = 3): Promise<{ ok: boolean; body: string; error: string }> {
  const r = await nsRun(netns, ['python3', '-c', PY_GET, url, String(timeoutSec)], (timeoutSec + 5) * 1000);
  return { ok: r.exitCode === 0, body: r.stdout, error: r.stderr.trim() };
}
