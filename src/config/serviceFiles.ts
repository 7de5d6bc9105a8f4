import fs from 'node:fs';
import path from 'node:path';
import { show } from '../../domain/config/show.js';
import { UsageError } from '../../domain/errors.js';
import { NAME_RE } from '../../domain/events.js';
import { serviceConfPath, type NodePaths } from '../paths.js';

/** The files of a service in <OSVCETC>, as the tutorial lists them. */
export interface ServiceFiles {
  /** svc1.conf */
  readonly conf: string;
  /** svc1.dir: the launcher directory created with the service */
  readonly dir: string;
  /** svc1.d -> svc1.dir: where app launchers given as basenames are looked up */
  readonly launchers: string;
  /** svc1 -> svcmgr: `svc1 print status` works like `svcmgr -s svc1 print status` */
  readonly link: string;
}

export function serviceFiles(p: NodePaths, svc: string): ServiceFiles {
  return {
    conf: serviceConfPath(p, svc),
    dir: path.join(p.etc, `${svc}.dir`),
    launchers: path.join(p.etc, `${svc}.d`),
    link: path.join(p.etc, svc),
  };
}

/** node.conf and cluster.conf live beside the services: those names are taken. */
const RESERVED = new Set(['node', 'cluster', 'svcmgr', 'nodemgr', 'svcmon']);

export function checkServiceName(svc: string | undefined): string {
  if (svc === undefined || svc === '') throw new UsageError('a service is required: svcmgr -s SVC ACTION');
  if (!NAME_RE.test(svc)) throw new UsageError(`service name ${show(svc)} is invalid: expected lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters`);
  if (RESERVED.has(svc)) throw new UsageError(`service name ${show(svc)} is reserved (it would clash with ${svc}.conf or a command name)`);
  return svc;
}

export function serviceExists(p: NodePaths, svc: string): boolean {
  return fs.existsSync(serviceConfPath(p, svc));
}

/** The services configured on this node: every <OSVCETC>/<name>.conf but node.conf and cluster.conf. */
export function listServices(p: NodePaths): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(p.etc);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith('.conf'))
    .map((n) => n.slice(0, -'.conf'.length))
    .filter((n) => NAME_RE.test(n) && !RESERVED.has(n))
    .sort();
}
