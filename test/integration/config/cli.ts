import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { NODEMGR } from '../../../src/cli/nodemgr.js';
import { SVCMGR } from '../../../src/cli/svcmgr.js';
import { nodePaths, type NodePaths } from '../../../src/paths.js';

/** A node in a temp dir (OSVC_ROOT), its commands run through main() with output captured. */
export interface TestNode {
  readonly root: string;
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  /** the svcmgr launcher the per-service symlinks point to */
  readonly svcmgrPath: string;
  svcmgr(argv: readonly string[], o?: RunOptions): Promise<Run>;
  nodemgr(argv: readonly string[], o?: RunOptions): Promise<Run>;
  /** every event spooled so far (no NATS in these tests) */
  events(): Array<Record<string, unknown> & { type: string; data: Record<string, unknown> }>;
  cleanup(): void;
}

export interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export interface RunOptions {
  /** argv[1] as invoked: <OSVCETC>/svc1 for the per-service symlink */
  readonly invokedAs?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function testNode(nodename = 'node1'): TestNode {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvc-config-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, OSVC_ROOT: root, OSVC_NODENAME: nodename };
  const paths = nodePaths(env);
  const svcmgrPath = path.resolve('bin/svcmgr');
  const run = (prog: 'svcmgr' | 'nodemgr') => async (argv: readonly string[], o: RunOptions = {}): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main({
      prog,
      table: prog === 'svcmgr' ? SVCMGR : NODEMGR,
      argv,
      invokedAs: o.invokedAs ?? `/usr/bin/${prog}`,
      svcmgrPath,
      env: { ...env, ...o.env },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  };
  return {
    root,
    paths,
    env,
    svcmgrPath,
    svcmgr: run('svcmgr'),
    nodemgr: run('nodemgr'),
    events: () => {
      if (!fs.existsSync(paths.spool)) return [];
      return fs.readFileSync(paths.spool, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
