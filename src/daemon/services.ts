import fs from 'node:fs';
import { getValue, parseDocument } from '../../domain/config/document.js';
import type { ServiceConfig } from '../../domain/config/types.js';
import { HasvcError } from '../../domain/errors.js';
import { listServices, serviceFiles } from '../config/serviceFiles.js';
import { validServiceConfig } from '../config/serviceStore.js';
import type { NodePaths } from '../paths.js';

export interface CatalogEntry {
  readonly name: string;
  readonly config: ServiceConfig | undefined;
  /** why the config can't be used, one line per problem */
  readonly error: string | undefined;
  /** the schedule keywords as written in the file; undefined when not written (the scheduler's defaults apply) */
  readonly statusSchedule: string | undefined;
  readonly monitorSchedule: string | undefined;
  readonly mtimeMs: number;
  readonly size: number;
}

function written(text: string, file: string, cfg: ServiceConfig, key: string): string | undefined {
  const d = parseDocument(text, file);
  if (!d.ok || getValue(d.doc, 'DEFAULT', key) === undefined) return undefined;
  const v = cfg.defaults[key];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(' ') : String(v);
}

/**
 * The services configured on this node, parsed once and again only when
 * their file changes (mtime, size): the scheduler and the listener ask often,
 * for a thousand services.
 */
export class ServiceCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  constructor(
    private readonly paths: NodePaths,
    private readonly node: string,
  ) {}

  /** Re-read the list of services and every config that changed; returns the names. */
  refresh(): string[] {
    const names = listServices(this.paths);
    const keep = new Set(names);
    for (const n of [...this.entries.keys()]) if (!keep.has(n)) this.entries.delete(n);
    for (const n of names) this.load(n);
    return names;
  }

  private load(name: string): CatalogEntry | undefined {
    const file = serviceFiles(this.paths, name).conf;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.entries.delete(name);
      return undefined;
    }
    const cur = this.entries.get(name);
    if (cur && cur.mtimeMs === st.mtimeMs && cur.size === st.size) return cur;
    let entry: CatalogEntry;
    try {
      const text = fs.readFileSync(file, 'utf8');
      const config = validServiceConfig(text, file, name, this.node);
      entry = { name, config, error: undefined, statusSchedule: written(text, file, config, 'status_schedule'), monitorSchedule: written(text, file, config, 'monitor_schedule'), mtimeMs: st.mtimeMs, size: st.size };
    } catch (e) {
      if (!(e instanceof HasvcError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      entry = { name, config: undefined, error: (e as Error).message, statusSchedule: undefined, monitorSchedule: undefined, mtimeMs: st.mtimeMs, size: st.size };
    }
    this.entries.set(name, entry);
    return entry;
  }

  /** The entry, re-read if its file changed. */
  get(name: string): CatalogEntry | undefined {
    return this.load(name);
  }

  /** The entry as last read, without touching the disk. */
  cached(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}
