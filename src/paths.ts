import path from 'node:path';

/**
 * Where a node keeps its files. OpenSVC's <OSVCETC>, <OSVCVAR> and <OSVCLOG>;
 * OSVC_ROOT prefixes all three so tests and non-root users run a node in a temp dir.
 */
export interface NodePaths {
  readonly root: string;
  readonly etc: string;
  readonly var: string;
  readonly log: string;
  readonly nodeConf: string;
  readonly clusterConf: string;
  readonly natsDir: string;
  readonly spool: string;
  readonly sequence: string;
  readonly writerLock: string;
  readonly agentLog: string;
  readonly daemonSocket: string;
  readonly lockDir: string;
}

export function nodePaths(env: NodeJS.ProcessEnv = process.env): NodePaths {
  const root = env.OSVC_ROOT ? path.resolve(env.OSVC_ROOT) : '/';
  const etc = path.join(root, 'etc/opensvc');
  const varDir = path.join(root, 'var/lib/opensvc');
  const log = path.join(root, 'var/log/opensvc');
  return {
    root,
    etc,
    var: varDir,
    log,
    nodeConf: path.join(etc, 'node.conf'),
    clusterConf: path.join(etc, 'cluster.conf'),
    natsDir: path.join(varDir, 'nats'),
    spool: path.join(varDir, 'spool', 'events.jsonl'),
    sequence: path.join(varDir, 'spool', 'sequence'),
    writerLock: path.join(varDir, 'spool', 'writer.lock'),
    agentLog: path.join(log, 'agent.log'),
    daemonSocket: path.join(varDir, 'lsnr', 'h2.sock'),
    lockDir: path.join(varDir, 'lock'),
  };
}

export function serviceConfPath(p: NodePaths, svc: string): string {
  return path.join(p.etc, `${svc}.conf`);
}
