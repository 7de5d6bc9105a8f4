import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { must, sleep } from '../host.js';
import { BRIDGE, OBSERVER_ADDR, OBSERVER_NETNS, OBSERVER_VETH, observerDown, repoRoot, type LabInfo, type LabNode } from '../lab.js';
import { bothHeld, held, nearest, outageAfter, type Outage, type Watched } from './invariants.js';
import type { Probe } from './prober.js';
import type { Sample } from './sampler.js';

/**
 * The fault suite's outside observer. It lives in a network namespace of its
 * own on the lab's bridge (never a node) and records a timeline:
 *
 *  - every 100 ms, the service page fetched over HTTP as a client would
 *    (prober.ts, in the observer's namespace);
 *  - every 100 ms, each node's addresses, SAN mounts and web server
 *    (sampler.ts, one per node, entered into the node's net and mnt
 *    namespaces: it looks, never acts, and a power loss spares it).
 *
 * Every sample is checked as it arrives against the other node's nearest
 * sample (within 150 ms): the service address, a SAN filesystem or the app
 * up on both nodes at once is a violation, recorded with both samples.
 */

export interface Violation {
  readonly t: number;
  readonly what: readonly string[];
  readonly a: Sample;
  readonly b: Sample;
  /** recorded while a scenario made it happen on purpose (Observer.provoke): the reason */
  readonly provoked?: string;
}

export interface Mark {
  readonly t: number;
  readonly what: string;
}

export interface TimelineEntry {
  /** ms since the observer started */
  readonly at: number;
  readonly who: string;
  readonly what: string;
}

export interface ObserverOptions {
  readonly everyMs?: number;
  /** two nodes' samples are compared when this close in time */
  readonly pairMs?: number;
  /** the prober's HTTP timeout */
  readonly probeTimeoutMs?: number;
}

const DIST = path.join(repoRoot, 'dist/test/lab/faults');

/** The observer's programs run from the build: it must be at least as new as their sources. */
function script(name: string): string {
  const js = path.join(DIST, `${name}.js`);
  const ts = path.join(repoRoot, 'test/lab/faults', `${name}.ts`);
  if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) {
    throw new Error(`observer: ${js} is missing or older than ${ts}: run \`npx tsc -p tsconfig.build.json\``);
  }
  return js;
}

export class Observer {
  readonly samples: Record<LabNode, Sample[]> = { node1: [], node2: [] };
  readonly probes: Probe[] = [];
  readonly marks: Mark[] = [];
  readonly violations: Violation[] = [];
  /** samples with no sample of the other node within pairMs: not checked */
  unpaired = 0;
  readonly startedAt = Date.now();
  readonly watched: Watched;
  private readonly children = new Map<string, ChildProcess>();
  private readonly problems: string[] = [];
  private stopping = false;
  private readonly pairMs: number;
  private readonly macs = new Map<string, LabNode>();
  private provoking: string | undefined;

  private constructor(
    private readonly info: LabInfo,
    o: ObserverOptions,
  ) {
    this.pairMs = o.pairMs ?? 150;
    this.watched = { svcAddr: info.svcAddr, devs: [info.appDev, info.dataDev] };
  }

  /** Its namespace on the bridge, a sampler in each node, the prober; returns once each has reported once. */
  static async start(info: LabInfo, o: ObserverOptions = {}): Promise<Observer> {
    const obs = new Observer(info, o);
    const every = String(o.everyMs ?? 100);
    try {
      await observerDown();
      await must(['ip', 'netns', 'add', OBSERVER_NETNS]);
      await must(['ip', 'link', 'add', OBSERVER_VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', OBSERVER_NETNS]);
      await must(['ip', 'link', 'set', OBSERVER_VETH, 'master', BRIDGE, 'up']);
      const inNs = (argv: string[]) => must(['ip', 'netns', 'exec', OBSERVER_NETNS, ...argv]);
      await inNs(['ip', 'link', 'set', 'lo', 'up']);
      await inNs(['ip', 'addr', 'add', `${OBSERVER_ADDR}/${info.prefixLength}`, 'dev', 'eth0']);
      await inNs(['ip', 'link', 'set', 'eth0', 'up']);
      const devs = [info.pvDev, info.appDev, info.dataDev, info.hbDev].join(',');
      for (const n of info.nodeNames) {
        const ns = info.nodes[n].ns;
        obs.spawn(n, ['nsenter', `--net=${ns.net}`, `--mount=${ns.mnt}`, '--', process.execPath, script('sampler'), '--node', n, '--devs', devs, '--every', every], (l) => obs.onSample(JSON.parse(l) as Sample));
      }
      const url = `http://${info.svcAddr}:8080/`;
      const timeout = String(o.probeTimeoutMs ?? 400);
      obs.spawn('prober', ['ip', 'netns', 'exec', OBSERVER_NETNS, process.execPath, script('prober'), '--url', url, '--every', every, '--timeout', timeout], (l) => obs.probes.push(JSON.parse(l) as Probe));
      await obs.until('a first report of every sampler and of the prober', () => obs.probes.length > 0 && info.nodeNames.every((n) => obs.samples[n].length > 0), 15_000);
    } catch (err) {
      await obs.stop();
      throw err;
    }
    return obs;
  }

  private spawn(name: string, argv: readonly string[], onLine: (line: string) => void): void {
    const [file, ...args] = argv;
    const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.set(name, child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        onLine(l);
      } catch (e) {
        this.problems.push(`${name}: unreadable line ${JSON.stringify(l.slice(0, 200))}: ${(e as Error).message}`);
      }
    });
    child.on('exit', (code, sig) => {
      if (!this.stopping) this.problems.push(`${name} exited (${sig ?? `code ${code}`}) while observing${stderr ? `: ${stderr.trim()}` : ''}`);
    });
    child.on('error', (e) => this.problems.push(`${name}: ${e.message}`));
  }

  private onSample(s: Sample): void {
    const node = s.node as LabNode;
    const mine = this.samples[node];
    if (mine === undefined) return;
    mine.push(s);
    if (s.mac !== undefined) this.macs.set(s.mac, node);
    const other = this.info.nodeNames.find((n) => n !== node);
    if (other === undefined) return;
    const b = nearest(this.samples[other], s.t, this.pairMs);
    if (b === undefined) {
      this.unpaired++;
      return;
    }
    const what = bothHeld(s, b, this.watched);
    if (what.length > 0) this.violations.push({ t: s.t, what, a: s, b, ...(this.provoking !== undefined ? { provoked: this.provoking } : {}) });
  }

  /**
   * From now until provoke(undefined), the service on both nodes is the
   * scenario's doing (an operator's forced start during a split): recorded as
   * provoked, not as a failure of the cluster.
   */
  provoke(reason: string | undefined): void {
    this.provoking = reason;
  }

  /** Violations the cluster let happen (not provoked). */
  doubleActive(): Violation[] {
    return this.violations.filter((v) => v.provoked === undefined);
  }

  /** Pids of the samplers living in the nodes: a power loss must spare them. */
  samplerPids(): number[] {
    return this.info.nodeNames.map((n) => this.children.get(n)?.pid).filter((p): p is number => p !== undefined);
  }

  /** A point on the timeline (a fault done, a repair); returns its time. */
  mark(what: string): number {
    const t = Date.now();
    this.marks.push({ t, what });
    return t;
  }

  latest(node: LabNode): Sample | undefined {
    return this.samples[node].at(-1);
  }

  /** What of the service the node's last sample shows up (`ip`, `fs /dev/...`, `app`). */
  holds(node: LabNode): string[] {
    const s = this.latest(node);
    return s === undefined ? [] : held(s, this.watched);
  }

  /** The node's last sample shows the address, both filesystems and the app. */
  runs(node: LabNode): boolean {
    return this.holds(node).length === 2 + this.watched.devs.length;
  }

  /** The node whose eth0 has this MAC, as the samplers reported it. */
  nodeOfMac(mac: string | undefined): LabNode | undefined {
    return mac === undefined ? undefined : this.macs.get(mac);
  }

  lastProbe(): Probe | undefined {
    return this.probes.at(-1);
  }

  /** The last probe answered, and from which node. */
  answering(): LabNode | undefined {
    const p = this.lastProbe();
    return p?.ok ? this.nodeOfMac(p.mac) : undefined;
  }

  outage(since: number): Outage & { readonly answeredBy?: LabNode } {
    const o = outageAfter(this.probes, since);
    const by = this.nodeOfMac(o.mac);
    return by === undefined ? o : { ...o, answeredBy: by };
  }

  /** When the first good answer sent at or after t arrived (undefined: none yet). */
  firstAnswerAfter(t: number): number | undefined {
    const p = this.probes.find((x) => x.t >= t && x.ok);
    return p === undefined ? undefined : p.t + p.ms;
  }

  /** Violations recorded at or after t. */
  violationsSince(t: number): Violation[] {
    return this.violations.filter((v) => v.t >= t);
  }

  /** A sampler or the prober died, or printed what could not be read. */
  failures(): readonly string[] {
    return this.problems;
  }

  /** Wait until pred holds on what was observed; returns when it did. Throws at the deadline, or when the observer broke. */
  async until(what: string, pred: () => boolean, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertSingle(what);
      if (pred()) return Date.now();
      if (Date.now() > deadline) throw new Error(`not within ${(timeoutMs / 1000).toFixed(1)}s: ${what}\n${this.describe()}`);
      await sleep(50);
    }
  }

  /** Hold for ms, then check that pred held on every sample meanwhile (what "nothing happens" means here). */
  async holdsFor(what: string, ms: number, pred: () => boolean): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      this.assertSingle(what);
      if (!pred()) throw new Error(`no longer true after ${((ms - (deadline - Date.now())) / 1000).toFixed(1)}s of ${(ms / 1000).toFixed(1)}: ${what}\n${this.describe()}`);
      await sleep(50);
    }
  }

  /** Fail at once when the observer broke or the service ran on both nodes (not provoked). */
  assertSingle(what: string): void {
    if (this.problems.length > 0) throw new Error(`observer broke while waiting for ${what}: ${this.problems.join('; ')}`);
    const v = this.doubleActive()[0];
    if (v !== undefined) {
      throw new Error(`svc1 on both nodes at once (${v.what.join(', ')}) at +${v.t - this.startedAt} ms, while waiting for ${what}\n${this.describe()}`);
    }
  }

  /** Like holdsFor, without throwing when pred stops holding: returns when it first did not (undefined: it held all along). */
  async watch(what: string, ms: number, pred: () => boolean): Promise<number | undefined> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      this.assertSingle(what);
      if (!pred()) return Date.now();
      await sleep(50);
    }
    return undefined;
  }

  /** The state now, in a line per node and one for the client. */
  describe(): string {
    const p = this.lastProbe();
    const lines = this.info.nodeNames.map((n) => `  ${n}: ${this.holds(n).join(', ') || 'nothing of svc1'}`);
    lines.push(`  client: ${p === undefined ? 'no probe yet' : p.ok ? `answered by ${this.nodeOfMac(p.mac) ?? p.mac ?? '?'}` : `no answer (${p.error ?? '?'})`}`);
    return lines.join('\n');
  }

  /**
   * The timeline as changes: marks, each node's holdings when they change,
   * the client's answer when it changes (and from which node).
   */
  timeline(): TimelineEntry[] {
    const out: (TimelineEntry & { t: number })[] = [];
    const at = (t: number) => t - this.startedAt;
    for (const m of this.marks) out.push({ t: m.t, at: at(m.t), who: 'fault', what: m.what });
    for (const n of this.info.nodeNames) {
      let was: string | undefined;
      for (const s of this.samples[n]) {
        const now = held(s, this.watched).join(', ') || 'nothing';
        if (now !== was) out.push({ t: s.t, at: at(s.t), who: n, what: now });
        was = now;
      }
    }
    let was: string | undefined;
    for (const p of this.probes) {
      const now = p.ok ? `answered by ${this.nodeOfMac(p.mac) ?? p.mac ?? '?'}` : `no answer: ${p.error ?? '?'}`;
      const gist = now.replace(/\d+ ms/, 'N ms');
      if (gist !== was) out.push({ t: p.t, at: at(p.t), who: 'client', what: now });
      was = gist;
    }
    // one entry per stretch of samples on both nodes (the same things, no gap over a second)
    let run: { first: Violation; last: Violation; count: number } | undefined;
    const flush = (): void => {
      if (run === undefined) return;
      const who = run.first.provoked !== undefined ? 'double (provoked)' : 'VIOLATION';
      const span = run.count > 1 ? `, ${run.count} samples until ${at(run.last.t)}` : ` (${run.first.a.node} at ${at(run.first.a.t)}, ${run.first.b.node} at ${at(run.first.b.t)})`;
      out.push({ t: run.first.t, at: at(run.first.t), who, what: `on both nodes: ${run.first.what.join(', ')}${span}` });
    };
    for (const v of this.violations) {
      if (run !== undefined && v.t - run.last.t <= 1000 && v.what.join() === run.first.what.join() && v.provoked === run.first.provoked) {
        run = { ...run, last: v, count: run.count + 1 };
        continue;
      }
      flush();
      run = { first: v, last: v, count: 1 };
    }
    flush();
    return out.sort((x, y) => x.t - y.t).map(({ at: a, who, what }) => ({ at: a, who, what }));
  }

  /** Stop every process of the observer, remove its namespace; safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.stdin?.end();
          setTimeout(() => c.kill('SIGKILL'), 1000).unref();
        }),
    );
    await Promise.all(exits);
    this.children.clear();
    await observerDown();
  }
}
