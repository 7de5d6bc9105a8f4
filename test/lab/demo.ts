import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError, labDown, labUp } from './lab.js';
import { TUTORIAL, WEB_SHOT } from './tutorial.js';
import { StepFailed, Walk } from './walk.js';

/**
 * npm run demo [-- --keep]: build the lab (two nodes on this machine) and walk
 * the tutorial on it, showing each command and its real output, checking each
 * step. Exit 0 when every step that ran passed. The lab is removed at the end,
 * also on failure or Ctrl-C, unless --keep.
 */

const USAGE = `usage: npm run demo [-- --keep]
  walks seed-getting-started.rst on a two-node lab built on this machine
  --keep   leave the lab up at the end, to explore it (npm run lab -- enter node1)`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function seconds(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)}s`;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--keep');
  if (unknown.length > 0) {
    process.stderr.write(`demo: unknown argument ${unknown.join(' ')}\n${USAGE}\n`);
    return 2;
  }
  const keep = argv.includes('--keep');
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: needs root (namespaces, loop devices, LVM)\n');
    return 1;
  }

  const KEPT = 'the lab is left up: npm run lab -- enter node1 (or node2); npm run lab -- down removes it';
  let tornDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    tornDown ??= keep ? Promise.resolve() : (out('\nlab: down'), labDown({ log: (l) => out(`lab: ${l}`) }));
    return tornDown;
  };
  // `on`, not `once`: execa's exit hook kills the process on a signal nobody else listens to, which
  // would cut the teardown short; a second Ctrl-C only says the teardown is under way.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) return out('interrupted: still tearing down the lab');
    interrupted = true;
    out(`\ninterrupted${keep ? `: ${KEPT}` : ''}`);
    teardown().then(
      () => process.exit(130),
      (err: unknown) => {
        process.stderr.write(`demo: teardown: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(130);
      },
    );
  });

  const t0 = performance.now();
  out('hasvc: the tutorial (seed-getting-started.rst) on two nodes, node1 and node2, built on this machine');
  out('lab: up');
  const info = await labUp({ log: (l) => out(`lab: ${l}`) });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hasvc-demo-'));
  const walk = new Walk({ info, out, workDir });
  let stopped: string | undefined;
  try {
    for (const step of TUTORIAL) await walk.step(step);
  } catch (err) {
    // a check the next steps build on failed, or something broke in the walk itself (lab, host)
    stopped = err instanceof StepFailed ? err.message : `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  } finally {
    // the web step's picture of the cluster after the node failure: kept beside the README, which shows it
    if (existsSync(path.join(workDir, WEB_SHOT))) {
      copyFileSync(path.join(workDir, WEB_SHOT), path.join(info.repoRoot, WEB_SHOT));
      out(`\nthe web view after the node failure: ${path.join(info.repoRoot, WEB_SHOT)}`);
    }
    rmSync(workDir, { recursive: true, force: true });
    await teardown();
  }

  out('');
  out(`==== ${walk.passed} checks passed, ${walk.failures.length} failed, ${walk.skipped.length} skipped (${seconds(t0)})`);
  for (const f of walk.failures) out(`FAILED   ${f.split('\n')[0] ?? f}`);
  for (const s of walk.skipped) out(`skipped  ${s}`);
  if (stopped !== undefined) out(`the walk stopped there: ${stopped}`);
  if (keep) out(KEPT);
  return walk.failures.length === 0 && stopped === undefined ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`demo: ${err instanceof LabError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
