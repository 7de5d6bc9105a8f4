import fs from 'node:fs';
import type { NodeConfig } from '../../../domain/config/node.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import type { NodePaths } from '../../paths.js';
import type { DaemonLogger } from '../log.js';

export interface WebSettings {
  readonly web: NodeConfig['web'];
  readonly metrics: NodeConfig['metrics'];
}

const OFF: WebSettings = { web: { enable: false, public: true, user: undefined, password: undefined }, metrics: { token: undefined } };

function stamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

/**
 * The [web] and [metrics] settings, read again whenever node.conf or
 * cluster.conf changes on disk: `nodemgr set --kw metrics.token=...` or
 * `nodemgr web password` apply at the next request, without a restart. A
 * config made invalid by an edit keeps the settings last read (the daemon
 * logs it once); none read yet: everything off.
 */
export class SettingsReader {
  private key = '';
  private current: WebSettings = OFF;

  constructor(
    private readonly paths: NodePaths,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: DaemonLogger,
  ) {}

  get(): WebSettings {
    const key = `${stamp(this.paths.nodeConf)}|${stamp(this.paths.clusterConf)}`;
    if (key === this.key) return this.current;
    this.key = key;
    try {
      const c = loadNodeConfig(this.paths, this.env);
      this.current = { web: c.web, metrics: c.metrics };
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'web and metrics settings not read again: the node config is invalid');
    }
    return this.current;
  }
}
