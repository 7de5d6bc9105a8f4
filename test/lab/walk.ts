import { cmd } from './host.js';
import { nodeEnv, runIn, type LabInfo, type LabNode } from './lab.js';

/**
 * The machinery of the tutorial walk (tutorial.ts): run a command in a node and
 * show it as the tutorial does (`node1:/ # svc1 print status` then its output),
 * check what it did, record what failed or was skipped. The demo prints the
 * transcript; the lab test collects it and asserts on the recorded failures.
 */

/** A check failed where the walk cannot go on: a later step builds on what this one should have done. */
export class StepFailed extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StepFailed';
  }
}

export interface Ran {
  readonly node: LabNode;
  /** the command as the prompt shows it */
  readonly shown: string;
  readonly exitCode: number;
  /** stdout and stderr interleaved, as on a terminal */
  readonly output: string;
  readonly lines: readonly string[];
}

export interface RunOptions {
  /** working directory in the node, shown in the prompt (default /) */
  readonly cwd?: string;
  /** how the command is shown (default: argv, quoted where needed) */
  readonly shown?: string;
  /** the exit status the step expects (default 0) */
  readonly exit?: 0 | 'nonzero' | 'any';
  /** an unexpected exit status fails the step but the walk goes on (default: the walk stops) */
  readonly soft?: boolean;
  readonly env?: Record<string, string>;
  /** run without showing it: probes and polls */
  readonly quiet?: boolean;
  readonly timeoutMs?: number;
}

/** One step of the tutorial: a section of seed-getting-started.rst and what is done in it. */
export interface Step<T = void> {
  readonly section: string;
  readonly title: string;
  readonly run: (w: Walk) => Promise<T>;
}

export interface StepOutcome<T> {
  readonly value: T;
  /** the checks of this step that failed, each with what was expected and what was seen */
  readonly failures: readonly string[];
  readonly skipped: readonly string[];
}

/** What a step leaves for later ones. */
export interface WalkState {
  /** `nodemgr daemon start` ran on both nodes */
  daemon: boolean;
  /** node2 joined node1's cluster with `nodemgr daemon join` */
  joined: boolean;
  secret?: string;
  /** where svc1 runs, as far as the walk knows */
  runningOn?: LabNode;
}

export interface WalkOptions {
  readonly info: LabInfo;
  readonly out: (line: string) => void;
  /** a host directory the nodes see (under /tmp): the edit config EDITOR and its content go there */
  readonly workDir: string;
}

const SAFE_WORD = /^[\w@%+=:,./#-]+$/;

export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function showArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * A line of an action's output, columns as the tutorial's:
 * `node1.svc1.ip#0        checking 10.199.0.42 availability`,
 * `node1.svc1           E start aborted due to resource ip#0 conflict`.
 */
export function logLine(prefix: string, message: string, level: ' ' | 'W' | 'E' = ' '): string {
  return `${prefix.padEnd(21)}${level} ${message}`;
}

export class Walk {
  readonly info: LabInfo;
  readonly workDir: string;
  readonly failures: string[] = [];
  readonly skipped: string[] = [];
  passed = 0;
  readonly state: WalkState = { daemon: false, joined: false };
  private readonly out: (line: string) => void;
  private section: string | undefined;

  constructor(o: WalkOptions) {
    this.info = o.info;
    this.out = o.out;
    this.workDir = o.workDir;
  }

  async step<T>(s: Step<T>): Promise<StepOutcome<T>> {
    if (s.section !== this.section) {
      this.out('');
      this.out(`==== ${s.section}`);
      this.section = s.section;
    }
    this.out('');
    this.out(`---- ${s.title}`);
    const failed = this.failures.length;
    const skipped = this.skipped.length;
    const value = await s.run(this);
    return { value, failures: this.failures.slice(failed), skipped: this.skipped.slice(skipped) };
  }

  /** Run argv in node (/etc/opensvc on PATH, so `svc1 ...` works as in the tutorial) and show it. */
  async run(node: LabNode, argv: readonly string[], o: RunOptions = {}): Promise<Ran> {
    // exec 2>&1 inside the node keeps stdout and stderr in the order the user would see them
    return this.exec(node, ['sh', '-c', 'exec "$@" 2>&1', 'sh', ...argv], o.shown ?? showArgv(argv), o);
  }

  /** Run a shell line in node: pipes and `;` as the tutorial writes them (`ls -lart | grep svc1`). */
  async sh(node: LabNode, script: string, o: RunOptions = {}): Promise<Ran> {
    return this.exec(node, ['sh', '-c', `exec 2>&1\n${script}`], o.shown ?? script, o);
  }

  private async exec(node: LabNode, argv: readonly string[], shown: string, o: RunOptions): Promise<Ran> {
    const cwd = o.cwd ?? '/';
    if (!o.quiet) this.out(`${node}:${cwd} # ${shown}`);
    const env = { PATH: `${nodeEnv().PATH}:/etc/opensvc`, ...o.env };
    const r = await runIn(node, argv, { cwd, env, timeoutMs: o.timeoutMs });
    const output = [r.stdout, r.stderr].filter((s) => s !== '').join('\n');
    const ran: Ran = { node, shown, exitCode: r.exitCode, output, lines: output === '' ? [] : output.split('\n') };
    if (!o.quiet) {
      for (const line of ran.lines) this.out(line);
      if (ran.exitCode !== 0) this.out(`(exit status ${ran.exitCode})`);
    }
    const expect = o.exit ?? 0;
    const good = expect === 'any' || (expect === 0 ? ran.exitCode === 0 : ran.exitCode !== 0);
    if (!good) {
      const what = `\`${shown}\` on ${node} ${expect === 0 ? `exited ${ran.exitCode}` : 'succeeded where it must fail'}`;
      this.fail(what, o.quiet ? ran.output : undefined);
      if (!o.soft) throw new StepFailed(what);
    }
    return ran;
  }

  /** Record a check: printed as `ok` or `FAILED`, with detail (what was seen) on failure. */
  check(ok: boolean, what: string, detail?: string): boolean {
    if (ok) {
      this.passed++;
      this.out(`  ok      ${what}`);
    } else {
      this.fail(what, detail);
    }
    return ok;
  }

  private fail(what: string, detail?: string): void {
    this.failures.push(detail ? `${what}\n${detail}` : what);
    this.out(`  FAILED  ${what}`);
    for (const line of (detail ?? '').split('\n').filter(Boolean)) this.out(`          | ${line}`);
  }

  /** Every expected line is in the output: a string is a whole line, a RegExp matches a line. */
  expectLines(ran: Ran, expected: readonly (string | RegExp)[], what: string): boolean {
    const missing = expected.filter((e) => !ran.lines.some((l) => (typeof e === 'string' ? l.trimEnd() === e : e.test(l))));
    const show = (e: string | RegExp): string => (typeof e === 'string' ? JSON.stringify(e) : String(e));
    return this.check(missing.length === 0, what, missing.length > 0 ? `missing from the output of \`${ran.shown}\`: ${missing.map(show).join(', ')}` : undefined);
  }

  /** Text shown as it is (a file's content), indented. */
  verbatim(text: string): void {
    for (const line of text.trimEnd().split('\n')) this.out(`    ${line}`);
  }

  /** Do by hand, on the host, what hasvc has no command for yet; shown with the lab host's prompt. */
  async onHost(argv: readonly string[]): Promise<void> {
    const shown = showArgv(argv);
    this.out(`labhost:/ # ${shown}`);
    const r = await cmd(argv);
    for (const line of [r.stdout, r.stderr].filter(Boolean)) this.out(line);
    if (r.exitCode !== 0) {
      this.fail(`\`${shown}\` on the host exited ${r.exitCode}`);
      throw new StepFailed(`\`${shown}\` on the host exited ${r.exitCode}`);
    }
  }

  note(text: string): void {
    for (const line of text.split('\n')) this.out(`  (${line})`);
  }

  skip(what: string, reason: string): void {
    this.skipped.push(`${what}: ${reason}`);
    this.out(`  skipped: ${what}: ${reason}`);
  }

  /**
   * Whether a CLI action exists: `prog ACTION --help` prints `prog ACTION: summary`
   * for an action it has (the exit status alone does not say: an unknown
   * action with --help prints the general usage and exits 0).
   */
  async available(node: LabNode, prog: 'svcmgr' | 'nodemgr' | 'svcmon', action: string): Promise<boolean> {
    const words = action === '' ? [] : action.split(' ');
    const r = await this.run(node, [prog, ...words, '--help'], { quiet: true, exit: 'any' });
    if (r.exitCode !== 0) return false;
    return action === '' || r.output.startsWith(`${prog} ${action}:`);
  }
}

export interface ResourceLine {
  readonly rid: string;
  readonly flags: string;
  readonly status: string;
  readonly label: string;
}

export interface InstanceLines {
  readonly node: string;
  readonly avail: string;
  /** "warn, frozen, idle, started" split on commas, across the wrapped lines */
  readonly notes: readonly string[];
  readonly resources: Record<string, ResourceLine>;
}

export interface StatusTree {
  readonly svc: string;
  readonly avail: string;
  readonly overall: string;
  readonly instances: Record<string, InstanceLines>;
}

const INSTANCE_RE = /^ {3}[|`]- (\S+)\s+(\S+)\s*(.*)$/;
const RESOURCE_RE = /^ {3}[| ] {2}[|`]- (\S+) +(\S{6}) +(stdby up|stdby down|\S+)\s*(.*)$/;
const NOTES_MORE_RE = /^ {3}[| ] {2}[| ] {20,}(\S.*)$/;

/** Read `print status` text back: the tree the user sees, not the JSON, is what the tutorial shows. */
export function parseStatus(text: string): StatusTree {
  const lines = text.split('\n');
  const [svc = '', avail = '', overall = avail] = (lines[0] ?? '').trim().split(/\s+/);
  const instances: Record<string, { node: string; avail: string; notes: string[]; resources: Record<string, ResourceLine> }> = {};
  let cur: (typeof instances)[string] | undefined;
  let inResources = false;
  for (const line of lines.slice(2)) {
    const inst = INSTANCE_RE.exec(line);
    if (inst) {
      cur = { node: inst[1] ?? '', avail: inst[2] ?? '', notes: splitNotes(inst[3] ?? ''), resources: {} };
      instances[cur.node] = cur;
      inResources = false;
      continue;
    }
    if (!cur) continue;
    const res = RESOURCE_RE.exec(line);
    if (res) {
      const rid = res[1] ?? '';
      cur.resources[rid] = { rid, flags: res[2] ?? '', status: res[3] ?? '', label: res[4] ?? '' };
      inResources = true;
      continue;
    }
    const more = NOTES_MORE_RE.exec(line);
    if (more && !inResources) cur.notes.push(...splitNotes(more[1] ?? ''));
  }
  return { svc, avail, overall, instances };
}

function splitNotes(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
