import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LabError,
  cmd,
  hostMounts,
  isMounted,
  killPids,
  loopsBackedUnder,
  must,
  namespaceLink,
  parseMountinfo,
  processesIn,
  unmountAll,
  type CmdResult,
} from './host.js';

/**
 * The tutorial's two-node cluster on one machine. Each node is a persistent set
 * of network, mount and UTS namespaces (bound on files under RUN_DIR, entered
 * with nsenter): its own hostname, eth0 on a shared bridge, /etc/hosts,
 * /etc/opensvc, /var/lib/opensvc, /var/log/opensvc and /svc1. The "SAN" is
 * loop devices, global like shared disks: a PV for vgsvc1, two ext4 images
 * for /svc1/app and /svc1/data (no LVs: this VM has no device-mapper), and a
 * small blank one for the disk heartbeat ([hb#N] type = disk).
 * pvcreate, vgcreate and vgchange --addtag/-a work here without udev and
 * without udev_sync settings, because no LV is ever activated; LVM locks in
 * /run/lock/lvm, shared by the nodes as a SAN's lock manager would be.
 */

export { LabError } from './host.js';
export type { CmdResult } from './host.js';

export const LAB_NODES = ['node1', 'node2'] as const;
export type LabNode = (typeof LAB_NODES)[number];

export const RUN_DIR = '/run/hasvc-lab';
export const LAB_DIR = '/var/lib/hasvc-lab';
export const STATE_FILE = `${RUN_DIR}/lab.json`;
const SAN_DIR = `${LAB_DIR}/san`;

export const BRIDGE = 'hasvc-br0';
export const BRIDGE_ADDR = '10.199.0.1';
export const PREFIX_LENGTH = 24;
export const SUBNET = '10.199.0.0/24';
const NODE_ADDRS: Record<LabNode, string> = { node1: '10.199.0.11', node2: '10.199.0.12' };
export const SVC_NAME = 'svc1';
export const SVC_HOSTNAME = 'svc1.opensvc.com';
export const SVC_ADDR = '10.199.0.42';
export const IPDEV = 'eth0';
/** The fault suite's outside observer (test/lab/faults/observer.ts): a network namespace on the bridge, never a node. */
export const OBSERVER_NETNS = 'hasvc-observer';
export const OBSERVER_VETH = 'hasvc-obs';
export const OBSERVER_ADDR = '10.199.0.5';
export const VG = 'vgsvc1';
export const APP_MNT = '/svc1/app';
export const DATA_MNT = '/svc1/data';
const IMAGE_SIZE = '64M';
/** the disk heartbeat needs 1 MiB (domain/heartbeat/diskFormat.ts) */
const HB_IMAGE_SIZE = '2M';

export interface LabNodeInfo {
  readonly name: LabNode;
  readonly addr: string;
  /** the eth0 peer, on the bridge in the host's namespace */
  readonly hostVeth: string;
  /** host dirs bound, inside the node only, on /etc/opensvc, /var/lib/opensvc, /var/log/opensvc, /svc1 */
  readonly etc: string;
  readonly var: string;
  readonly log: string;
  readonly svcRoot: string;
  /** host file bound on the node's /etc/hosts */
  readonly hosts: string;
  readonly ns: { readonly net: string; readonly uts: string; readonly mnt: string };
}

export interface LabInfo {
  readonly nodes: Record<LabNode, LabNodeInfo>;
  readonly nodeNames: readonly LabNode[];
  readonly bridge: string;
  readonly bridgeAddr: string;
  readonly subnet: string;
  readonly prefixLength: number;
  readonly svcName: string;
  readonly svcHostname: string;
  readonly svcAddr: string;
  readonly ipdev: string;
  readonly vg: string;
  readonly pvDev: string;
  readonly appDev: string;
  readonly dataDev: string;
  /** blank, for `[hb#N] type = disk`, `dev = <hbDev>` */
  readonly hbDev: string;
  readonly appMnt: string;
  readonly dataMnt: string;
  readonly fsType: 'ext4';
  readonly images: { readonly pv: string; readonly app: string; readonly data: string; readonly hb: string };
  readonly repoRoot: string;
  readonly repoBin: string;
  readonly runDir: string;
  readonly labDir: string;
  readonly stateFile: string;
  readonly upAt: string;
}

/** What up leaves in STATE_FILE; `building` until the lab is complete. */
interface LabState {
  readonly phase: 'building' | 'up';
  /** host dirs up created as mount points (removed by down when still empty) */
  readonly hostMountpoints: readonly string[];
  readonly info?: LabInfo;
}

/** Inside a node: host path -> where it is bound. */
const NODE_BINDS: readonly (readonly ['etc' | 'var' | 'log' | 'svcRoot' | 'hosts', string])[] = [
  ['etc', '/etc/opensvc'],
  ['var', '/var/lib/opensvc'],
  ['log', '/var/log/opensvc'],
  ['svcRoot', `/${SVC_NAME}`],
  ['hosts', '/etc/hosts'],
];

export const repoRoot: string = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'hasvc') return dir;
    if (path.dirname(dir) === dir) throw new LabError(`lab: no hasvc package.json above ${from}`);
  }
}

export const FIXTURES_DIR = path.join(repoRoot, 'test/lab/fixtures');

function nodeInfo(name: LabNode): LabNodeInfo {
  const dir = path.join(LAB_DIR, name);
  const ns = path.join(RUN_DIR, name);
  return {
    name,
    addr: NODE_ADDRS[name],
    hostVeth: `hasvc-${name}`,
    etc: path.join(dir, 'etc'),
    var: path.join(dir, 'var'),
    log: path.join(dir, 'log'),
    svcRoot: path.join(dir, SVC_NAME),
    hosts: path.join(dir, 'hosts'),
    ns: { net: path.join(ns, 'net'), uts: path.join(ns, 'uts'), mnt: path.join(ns, 'mnt') },
  };
}

function isLabNode(name: string): name is LabNode {
  return (LAB_NODES as readonly string[]).includes(name);
}

export function assertLabNode(name: string): LabNode {
  if (!isLabNode(name)) throw new LabError(`lab: unknown node ${JSON.stringify(name)} (nodes: ${LAB_NODES.join(', ')})`);
  return name;
}

function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

async function writeState(state: LabState): Promise<void> {
  await fs.writeFile(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

/** The lab as `up` built it; throws when the lab is not up. */
export function labInfo(): LabInfo {
  const state = readState();
  if (state?.phase !== 'up' || state.info === undefined) throw new LabError('lab: not up (run `npm run lab -- up`)');
  return state.info;
}

function hostsFile(): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${BRIDGE_ADDR}\tlabhost`,
    ...LAB_NODES.map((n) => `${NODE_ADDRS[n]}\t${n}`),
    `${SVC_ADDR}\t${SVC_HOSTNAME} ${SVC_NAME}`,
    '',
  ].join('\n');
}

export interface UpOptions {
  readonly log?: (line: string) => void;
}

/** Build the lab from scratch: whatever an earlier run left is removed first, so up twice works. */
export async function labUp(o: UpOptions = {}): Promise<LabInfo> {
  const log = o.log ?? (() => undefined);
  await labDown({ log });
  try {
    return await build(log);
  } catch (err) {
    log(`up failed, removing what was built: ${err instanceof Error ? err.message : String(err)}`);
    await labDown({ log });
    throw err;
  }
}

async function build(log: (line: string) => void): Promise<LabInfo> {
  await preflight();
  const nodes = Object.fromEntries(LAB_NODES.map((n) => [n, nodeInfo(n)])) as Record<LabNode, LabNodeInfo>;

  // The dir holding mount-namespace files must be a private mount, or binding
  // a mount namespace file there could propagate into that very namespace.
  await fs.mkdir(RUN_DIR, { recursive: true });
  await must(['mount', '--bind', RUN_DIR, RUN_DIR]);
  await must(['mount', '--make-private', RUN_DIR]);

  // Recorded before they are made, so a crash right after still lets down remove them.
  const hostMountpoints = NODE_BINDS.map(([, target]) => target).filter((t) => t !== '/etc/hosts' && !existsSync(t));
  await writeState({ phase: 'building', hostMountpoints });
  for (const t of hostMountpoints) await fs.mkdir(t, { recursive: true });

  for (const n of LAB_NODES) {
    const ni = nodes[n];
    for (const d of [ni.etc, ni.var, ni.log, path.join(ni.svcRoot, 'app'), path.join(ni.svcRoot, 'data'), path.dirname(ni.ns.net)]) {
      await fs.mkdir(d, { recursive: true });
    }
    await fs.writeFile(ni.hosts, hostsFile());
  }

  log('san: loop devices for the PV of vgsvc1, the app and data filesystems and the disk heartbeat');
  await fs.mkdir(SAN_DIR, { recursive: true });
  const images = { pv: `${SAN_DIR}/pv.img`, app: `${SAN_DIR}/app.img`, data: `${SAN_DIR}/data.img`, hb: `${SAN_DIR}/hb.img` };
  const attach = async (file: string, size = IMAGE_SIZE): Promise<string> => {
    await must(['truncate', '--size', size, file]);
    return (await must(['losetup', '--find', '--show', file])).trim();
  };
  const pvDev = await attach(images.pv);
  const appDev = await attach(images.app);
  const dataDev = await attach(images.data);
  const hbDev = await attach(images.hb, HB_IMAGE_SIZE);
  await must(['pvcreate', '--yes', pvDev]);
  await must(['vgcreate', VG, pvDev]);
  await must(['mkfs.ext4', '-q', '-F', '-L', 'svc1app', appDev]);
  await must(['mkfs.ext4', '-q', '-F', '-L', 'svc1data', dataDev]);

  log(`network: bridge ${BRIDGE} ${BRIDGE_ADDR}/${PREFIX_LENGTH}`);
  await must(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  await must(['ip', 'addr', 'add', `${BRIDGE_ADDR}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
  await must(['ip', 'link', 'set', BRIDGE, 'up']);

  for (const n of LAB_NODES) await buildNode(nodes[n], log);

  const info: LabInfo = {
    nodes,
    nodeNames: LAB_NODES,
    bridge: BRIDGE,
    bridgeAddr: BRIDGE_ADDR,
    subnet: SUBNET,
    prefixLength: PREFIX_LENGTH,
    svcName: SVC_NAME,
    svcHostname: SVC_HOSTNAME,
    svcAddr: SVC_ADDR,
    ipdev: IPDEV,
    vg: VG,
    pvDev,
    appDev,
    dataDev,
    hbDev,
    appMnt: APP_MNT,
    dataMnt: DATA_MNT,
    fsType: 'ext4',
    images,
    repoRoot,
    repoBin: path.join(repoRoot, 'bin'),
    runDir: RUN_DIR,
    labDir: LAB_DIR,
    stateFile: STATE_FILE,
    upAt: new Date().toISOString(),
  };
  await writeState({ phase: 'up', hostMountpoints, info });
  return info;
}

/** Refuse to build over things the lab did not make (down already removed what it made). */
async function preflight(): Promise<void> {
  if ((await cmd(['vgs', VG])).exitCode === 0) {
    throw new LabError(`lab: a volume group ${VG} exists outside the lab (\`vgs ${VG}\`); remove it first`);
  }
  const used = await must(['ip', '-o', '-4', 'addr', 'show', 'to', SUBNET]);
  if (used.trim() !== '') throw new LabError(`lab: ${SUBNET} is already in use on this host:\n${used}`);
}

async function buildNode(ni: LabNodeInfo, log: (line: string) => void): Promise<void> {
  log(`${ni.name}: namespaces, hostname, ${IPDEV} ${ni.addr}/${PREFIX_LENGTH}, private /etc/opensvc /var/lib/opensvc /var/log/opensvc /${SVC_NAME} /etc/hosts`);
  for (const f of Object.values(ni.ns)) await fs.writeFile(f, '');
  await must(['unshare', `--net=${ni.ns.net}`, `--uts=${ni.ns.uts}`, `--mount=${ni.ns.mnt}`, '--propagation', 'private', 'true']);
  const inNode = (argv: readonly string[]): Promise<string> => must(nsenterArgv(ni, argv));

  await inNode(['hostname', ni.name]);
  // The node's mount table is a copy of the host's, with every namespace file
  // bound there (the other node's, `ip netns` ones of other tests): drop them
  // so a node never keeps another namespace alive.
  const copied = parseMountinfo(await inNode(['cat', '/proc/self/mountinfo']));
  for (const m of copied.filter((e) => e.fstype === 'nsfs').reverse()) await inNode(['umount', m.target]);
  await inNode(['umount', RUN_DIR]);
  for (const [key, target] of NODE_BINDS) await inNode(['mount', '--bind', ni[key], target]);
  // sysfs shows the network devices of the namespace that mounts it.
  await inNode(['mount', '-t', 'sysfs', 'sysfs', '/sys']);

  await inNode(['ip', 'link', 'set', 'lo', 'up']);
  await inNode(['ip', 'link', 'add', IPDEV, 'type', 'veth', 'peer', 'name', ni.hostVeth, 'netns', String(process.pid)]);
  await inNode(['ip', 'addr', 'add', `${ni.addr}/${PREFIX_LENGTH}`, 'dev', IPDEV]);
  await inNode(['ip', 'link', 'set', IPDEV, 'up']);
  await must(['ip', 'link', 'set', ni.hostVeth, 'master', BRIDGE, 'up']);
}

function nsenterArgv(ni: LabNodeInfo, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${ni.ns.net}`, `--uts=${ni.ns.uts}`, `--mount=${ni.ns.mnt}`, '--', ...argv];
}

function nodeIsUp(ni: LabNodeInfo, table = hostMounts()): boolean {
  return Object.values(ni.ns).every((f) => isMounted(f, 'nsfs', table));
}

/** Links of the node's namespaces that are still bound (a crashed up may have bound only some). */
async function boundNamespaceLinks(ni: LabNodeInfo, table = hostMounts()): Promise<string[]> {
  const links: string[] = [];
  for (const type of ['net', 'uts', 'mnt'] as const) {
    if (isMounted(ni.ns[type], 'nsfs', table)) links.push(await namespaceLink(type, ni.ns[type]));
  }
  return links;
}

/** Pids of the processes living in a node (any of its namespaces). */
export async function nodeProcesses(node: LabNode): Promise<number[]> {
  return processesIn(await boundNamespaceLinks(nodeInfo(node)));
}

export interface DownOptions {
  readonly log?: (line: string) => void;
}

/**
 * Remove everything the lab makes, whether or not a state file says it was
 * made, so it also cleans up after a crash; down twice is fine.
 */
export async function labDown(o: DownOptions = {}): Promise<void> {
  const log = o.log ?? (() => undefined);
  const state = readState();
  const nodes = LAB_NODES.map(nodeInfo);
  const loops = await loopsBackedUnder(SAN_DIR);
  const loopDevs = new Set(loops.map((l) => l.dev));

  // Again until none is left: a daemon dying slowly may have started its nats-server again meanwhile.
  for (const ni of nodes) {
    for (let round = 0; round < 5; round++) {
      const pids = await processesIn(await boundNamespaceLinks(ni));
      if (pids.length === 0) break;
      log(`${ni.name}: killing ${pids.length} process(es): ${pids.join(' ')}`);
      await killPids(pids);
    }
  }

  // Unmount the lab's disks wherever they are mounted, so the loops can be detached now.
  for (const ni of nodes) {
    if (!isMounted(ni.ns.mnt, 'nsfs')) continue;
    const r = await cmd(['nsenter', `--mount=${ni.ns.mnt}`, '--', 'cat', '/proc/self/mountinfo']);
    const targets = parseMountinfo(r.stdout).filter((m) => loopDevs.has(m.source)).map((m) => m.target);
    for (const t of targets.reverse()) {
      log(`${ni.name}: umount ${t}`);
      await cmd(['nsenter', `--mount=${ni.ns.mnt}`, '--', 'umount', '--lazy', t]);
    }
  }
  for (const m of hostMounts().filter((e) => loopDevs.has(e.source)).reverse()) {
    log(`host: umount ${m.target}`);
    await cmd(['umount', '--lazy', m.target]);
  }

  await observerDown(log);

  // Later nodes first: a node built by a crashed up may still hold the earlier ones' namespace files.
  for (const ni of [...nodes].reverse()) {
    for (const f of [ni.ns.mnt, ni.ns.uts, ni.ns.net]) await unmountAll(f);
  }
  await unmountAll(RUN_DIR);

  for (const l of loops) {
    const vg = (await cmd(['pvs', '--noheadings', '-o', 'vg_name', l.dev])).stdout.trim();
    if (vg !== '') {
      log(`san: vgremove ${vg}`);
      await must(['vgremove', '--force', vg]);
    }
    if ((await cmd(['pvs', l.dev])).exitCode === 0) await must(['pvremove', '-ff', '--yes', l.dev]);
  }
  for (const l of loops) {
    log(`san: losetup -d ${l.dev}`);
    await detachLoop(l.dev);
  }

  for (const link of [...nodes.map((n) => n.hostVeth), BRIDGE]) {
    await delLink(link, log);
  }

  await fs.rm(RUN_DIR, { recursive: true, force: true });
  await fs.rm(LAB_DIR, { recursive: true, force: true });
  for (const d of state?.hostMountpoints ?? []) {
    await fs.rmdir(d).catch(() => undefined);
  }
}

/** Remove the fault observer's namespace, its processes and its veth, if a run left them. */
export async function observerDown(log: (line: string) => void = () => undefined): Promise<void> {
  const netns = (await cmd(['ip', 'netns', 'list'])).stdout.split('\n').some((l) => l.split(' ')[0] === OBSERVER_NETNS);
  if (netns) {
    const pids = (await cmd(['ip', 'netns', 'pids', OBSERVER_NETNS])).stdout.split('\n').filter(Boolean).map(Number);
    if (pids.length > 0) {
      log(`observer: killing ${pids.length} process(es): ${pids.join(' ')}`);
      await killPids(pids);
    }
    log(`observer: ip netns del ${OBSERVER_NETNS}`);
    await must(['ip', 'netns', 'del', OBSERVER_NETNS]);
  }
  await delLink(OBSERVER_VETH);
}

/**
 * Delete a link if it is there. The host end of a veth goes by itself,
 * a moment later, when the namespace holding its peer is deleted: a link
 * seen, then gone before its delete, is deleted all the same.
 */
async function delLink(link: string, log?: (line: string) => void): Promise<void> {
  if ((await cmd(['ip', 'link', 'show', link])).exitCode !== 0) return;
  log?.(`network: ip link del ${link}`);
  const r = await cmd(['ip', 'link', 'del', link]);
  if (r.exitCode === 0 || (await cmd(['ip', 'link', 'show', link])).exitCode !== 0) return;
  throw new LabError(`lab: \`ip link del ${link}\` exited ${r.exitCode}: ${r.stderr.trim()}`);
}

/** A loop still held by a dying mount is released asynchronously: retry a little. */
async function detachLoop(dev: string): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await cmd(['losetup', '--detach', dev]);
    if (r.exitCode === 0 || (await cmd(['losetup', dev])).exitCode !== 0) return;
    if (i >= 20) throw new LabError(`lab: cannot detach ${dev}: ${r.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface LabStatus {
  /** every piece is in place */
  readonly up: boolean;
  readonly runDirMounted: boolean;
  readonly bridge: boolean;
  readonly vg: boolean;
  readonly loops: readonly { readonly dev: string; readonly file: string }[];
  readonly nodes: Record<LabNode, { readonly up: boolean; readonly hostname?: string; readonly addr?: string; readonly processes: number }>;
}

export async function labStatus(): Promise<LabStatus> {
  const table = hostMounts();
  const loops = await loopsBackedUnder(SAN_DIR);
  const bridge = (await cmd(['ip', 'link', 'show', BRIDGE])).exitCode === 0;
  const vg = (await cmd(['vgs', VG])).exitCode === 0;
  const nodes = {} as Record<LabNode, LabStatus['nodes'][LabNode]>;
  for (const n of LAB_NODES) {
    const ni = nodeInfo(n);
    const processes = (await processesIn(await boundNamespaceLinks(ni, table))).length;
    if (!nodeIsUp(ni, table)) {
      nodes[n] = { up: false, processes };
      continue;
    }
    const hostname = (await cmd(nsenterArgv(ni, ['hostname']))).stdout.trim();
    const addr = (await cmd(nsenterArgv(ni, ['ip', '-o', '-4', 'addr', 'show', 'dev', IPDEV]))).stdout.match(/inet (\S+)/)?.[1];
    nodes[n] = { up: hostname === n, hostname, addr, processes };
  }
  const runDirMounted = isMounted(RUN_DIR, undefined, table);
  return {
    up: runDirMounted && bridge && vg && loops.length === 4 && LAB_NODES.every((n) => nodes[n].up) && readState()?.phase === 'up',
    runDirMounted,
    bridge,
    vg,
    loops,
    nodes,
  };
}

export interface RunInOptions {
  /** added to the node's environment (PATH with the repo's bin/, HOME, LANG) */
  readonly env?: Record<string, string>;
  /** working directory inside the node (default /) */
  readonly cwd?: string;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** The environment of a command run in a node: nothing leaks from the caller's (OSVC_ROOT...). */
export function nodeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const PATH = [
    path.join(repoRoot, 'bin'),
    path.dirname(process.execPath),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ].join(':');
  // HASVC_NO_HOST_ACTIONS: a split_action crash or reboot would take the whole machine down, every node sharing its kernel
  return { PATH, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', LVM_SUPPRESS_FD_WARNINGS: '1', HASVC_NO_HOST_ACTIONS: '1', ...extra };
}

function nodeArgv(node: LabNode, argv: readonly string[], cwd = '/'): string[] {
  const ni = nodeInfo(node);
  if (!nodeIsUp(ni)) throw new LabError(`lab: ${node} is not up (run \`npm run lab -- up\`)`);
  // nsenter's --wd opens the directory before entering the mount namespace; env -C resolves it inside.
  return nsenterArgv(ni, ['env', '-C', cwd, '--', ...argv]);
}

/** Run argv inside a node, as root with the node's environment. Never throws on a non-zero exit. */
export async function runIn(node: LabNode, argv: readonly string[], o: RunInOptions = {}): Promise<CmdResult> {
  if (argv.length === 0) throw new LabError('runIn: empty argv');
  return cmd(nodeArgv(node, argv, o.cwd), { env: nodeEnv(o.env), input: o.input, timeoutMs: o.timeoutMs });
}

/** Like runIn but the command shares the caller's terminal (enter, run from the CLI); resolves to the exit code. */
export async function runInAttached(node: LabNode, argv: readonly string[], o: RunInOptions = {}): Promise<number> {
  const [file, ...args] = nodeArgv(node, argv, o.cwd);
  if (file === undefined) throw new LabError('runInAttached: empty argv');
  const r = await execa(file, args, { stdio: 'inherit', reject: false, env: nodeEnv(o.env), extendEnv: false });
  return typeof r.exitCode === 'number' ? r.exitCode : 1;
}

/**
 * Put the tutorial's web application on the service's filesystems, mounted in
 * node: /svc1/app/init.d/weblauncher, /svc1/app/webserver, /svc1/data/index.html.
 */
export async function installWebApp(node: LabNode): Promise<void> {
  for (const mnt of [APP_MNT, DATA_MNT]) {
    if ((await runIn(node, ['mountpoint', '-q', mnt])).exitCode !== 0) {
      throw new LabError(`lab: ${mnt} is not mounted in ${node}: mount the service filesystems first`);
    }
  }
  const install = async (mode: string, src: string, dst: string): Promise<void> => {
    const r = await runIn(node, ['install', '-D', '-m', mode, path.join(FIXTURES_DIR, src), dst]);
    if (r.exitCode !== 0) throw new LabError(`lab: install ${dst} in ${node}: ${r.stderr.trim()}`);
  };
  await install('0755', 'weblauncher', `${APP_MNT}/init.d/weblauncher`);
  await install('0755', 'webserver', `${APP_MNT}/webserver`);
  await install('0644', 'index.html', `${DATA_MNT}/index.html`);
}

export interface Svc1ConfOptions {
  /** add the tutorial's [app#web] section */
  readonly app?: boolean;
  /** `orchestrate = ha` in DEFAULT and `monitor = True` on app#web, as the tutorial's last step */
  readonly ha?: boolean;
}

/** The tutorial's svc1.conf, with the lab's devices in place of /dev/loop0 and the /dev/mapper LVs. */
export function svc1Conf(info: LabInfo, o: Svc1ConfOptions = {}): string {
  const lines = [
    '[DEFAULT]',
    'app = MyApp',
    `nodes = ${info.nodeNames.join(' ')}`,
    ...(o.ha ? ['orchestrate = ha'] : []),
    '',
    '[ip#0]',
    `ipname = ${info.svcHostname}`,
    `ipdev = ${info.ipdev}`,
    '',
    '[disk#0]',
    'type = vg',
    `name = ${info.vg}`,
    `pvs = ${info.pvDev}`,
    '',
    '[fs#app]',
    `type = ${info.fsType}`,
    `dev = ${info.appDev}`,
    `mnt = ${info.appMnt}`,
    '',
    '[fs#data]',
    `type = ${info.fsType}`,
    `dev = ${info.dataDev}`,
    `mnt = ${info.dataMnt}`,
    '',
  ];
  if (o.app || o.ha) {
    lines.push('[app#web]', ...(o.ha ? ['monitor = True'] : []), 'script = weblauncher', 'start = 10', 'check = 10', 'stop = 90', '');
  }
  return lines.join('\n');
}
