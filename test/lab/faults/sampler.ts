import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * One node as the fault observer sees it, sampled every `--every` ms and
 * printed as one JSON line (a Sample): its IPv4 addresses,
 * its mounts of the SAN's devices, the tutorial's web server running in its
 * network namespace. Run inside the node's net and mnt namespaces (nsenter),
 * read-only: it looks, never acts. It stops when its stdin closes, so it never
 * outlives the observer that reads it.
 *
 *   nsenter --net=... --mount=... -- node sampler.js --node node1 --devs /dev/loop1,/dev/loop3 --every 100
 */

export interface Sample {
  /** wall clock, ms: every sampler and the prober run on one machine, one clock */
  readonly t: number;
  readonly node: string;
  readonly seq: number;
  /** `10.199.0.42`: every local IPv4 address but loopback's, with or without carrier */
  readonly addrs: readonly string[];
  /** the MAC of eth0, to tell which node answered the prober */
  readonly mac: string | undefined;
  /** mounts of the watched devices: `/dev/loop1 /svc1/app` */
  readonly mounts: readonly string[];
  /** pids of the web server (python3 http.server 8080) whose network namespace is this node's */
  readonly app: readonly number[];
}

const APP_RE = /http\.server\u00008080\u0000/;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * The node's IPv4 addresses, from the local routing table (/proc/net/fib_trie:
 * `|-- 10.199.0.42` then `/32 host LOCAL`): these stay while the link has no
 * carrier, where os.networkInterfaces() hides a link that is not running. An
 * address on a cable pulled out is still there, ready to answer when it is
 * plugged back. Reading a file costs no process, unlike `ip addr` every 100 ms.
 */
function addresses(): { addrs: string[]; mac: string | undefined } {
  const addrs = new Set<string>();
  let last: string | undefined;
  for (const line of readFileSync('/proc/net/fib_trie', 'utf8').split('\n')) {
    const leaf = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (leaf) last = leaf[1];
    else if (last !== undefined && /^\s*\/32 host LOCAL$/.test(line) && !last.startsWith('127.')) addrs.add(last);
  }
  let mac: string | undefined;
  try {
    // sysfs as mounted in the node's mount namespace shows the node's links
    mac = readFileSync('/sys/class/net/eth0/address', 'utf8').trim();
  } catch {
    mac = undefined;
  }
  return { addrs: [...addrs], mac };
}

function mounts(devs: ReadonlySet<string>): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([dev]) => dev !== undefined && devs.has(dev))
    .map(([dev, mnt]) => `${dev} ${mnt ?? ''}`);
}

function appPids(myNet: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!APP_RE.test(readFileSync(`/proc/${entry}/cmdline`, 'latin1'))) continue;
      // a zombie holds no namespace: readlink fails, it is not counted
      if (readlinkSync(`/proc/${entry}/ns/net`) === myNet) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function main(): void {
  const node = arg('node') ?? 'unknown';
  const devs = new Set((arg('devs') ?? '').split(',').filter(Boolean));
  const every = Number(arg('every') ?? 100);
  const myNet = readlinkSync('/proc/self/ns/net');
  let seq = 0;
  const tick = (): void => {
    const sample: Sample = { t: Date.now(), node, seq: seq++, ...addresses(), mounts: mounts(devs), app: appPids(myNet) };
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  };
  // on the wall clock's multiples of `every`: both nodes' samplers look at the same instants
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    timer = setTimeout(() => {
      tick();
      next();
    }, every - (Date.now() % every));
  };
  tick();
  next();
  process.stdin.on('end', () => {
    clearTimeout(timer);
    process.exit(0);
  });
  process.stdin.resume();
  process.stdout.on('error', () => process.exit(0));
}

main();
