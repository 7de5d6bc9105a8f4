import { ConfigError } from '../errors.js';
import { getValue, parseDocument, setValue, type IniDocument } from './document.js';
import { COMMON_RESOURCE_KEYWORDS, SERVICE_SCHEMA, SYNC } from './schema.js';
import type { KeywordValue, ResourceConfig, ServiceConfig } from './types.js';
import { validateDocument, type TypedSection } from './validate.js';
import { convertValue } from './values.js';

/** What parsing a service config needs besides the text: no file system, no clock. */
export interface ServiceConfigInput {
  readonly text: string;
  /** the path shown in problems */
  readonly file: string;
  readonly svcname: string;
  readonly nodename: string;
}

export type ServiceConfigCheck =
  | { readonly ok: true; readonly config: ServiceConfig; readonly doc: IniDocument }
  | { readonly ok: false; readonly problems: readonly string[] };

export const IMPLICIT_SYNC_RID = 'sync#i0';
export const IMPLICIT_SYNC_LABEL = 'rsync svc config to drpnodes, nodes';

const str = (v: KeywordValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: KeywordValue | undefined): string[] => (Array.isArray(v) ? v : []);

function resourceOf(s: TypedSection): ResourceConfig {
  const kw = s.kw;
  return {
    rid: s.name,
    driver: s.driver!,
    type: str(kw.type),
    optional: kw.optional === true,
    disable: kw.disable === true,
    monitor: kw.monitor === true,
    standby: kw.standby === true,
    restart: typeof kw.restart === 'number' ? kw.restart : 0,
    tags: list(kw.tags),
    subset: str(kw.subset),
    kw,
  };
}

/**
 * The sync every service has without declaring it (OpenSVC's sync#i0): it
 * replicates <OSVCETC>/<svc>* to the other nodes. Its kw carries the label
 * `print status` shows.
 */
function implicitSync(): ResourceConfig {
  const kw: Record<string, KeywordValue> = { type: 'rsync', target: ['drpnodes', 'nodes'], label: IMPLICIT_SYNC_LABEL };
  for (const [k, spec] of Object.entries({ ...COMMON_RESOURCE_KEYWORDS, sync_min_delay: SYNC.keywords.sync_min_delay! })) {
    if (spec.default === undefined) continue;
    const c = convertValue(spec, spec.default);
    if (c.ok) kw[k] = c.value;
  }
  return resourceOf({ name: IMPLICIT_SYNC_RID, driver: 'sync', present: false, kw, set: [] });
}

/**
 * A declared [sync#i0] tunes the implicit sync (sync_min_delay...): what it
 * replicates is fixed, so src and dst are implied there, not required.
 */
function withImplicitSyncPaths(doc: IniDocument): IniDocument {
  if (!doc.sections.some((s) => s.name === IMPLICIT_SYNC_RID)) return doc;
  let d = doc;
  if (getValue(d, IMPLICIT_SYNC_RID, 'src') === undefined) d = setValue(d, IMPLICIT_SYNC_RID, 'src', '{svcname}.conf');
  if (getValue(d, IMPLICIT_SYNC_RID, 'dst') === undefined) d = setValue(d, IMPLICIT_SYNC_RID, 'dst', '{svcname}.conf');
  return d;
}

/** Validate a parsed document as a service config: all problems, or the typed config. */
export function checkServiceDocument(doc: IniDocument, input: Omit<ServiceConfigInput, 'text' | 'file'>): ServiceConfigCheck {
  const vars = { nodename: input.nodename, svcname: input.svcname, svcpath: input.svcname };
  const v = validateDocument(withImplicitSyncPaths(doc), SERVICE_SCHEMA, vars);
  if (v.problems.length > 0) return { ok: false, problems: v.problems };
  const d = v.sections.find((s) => s.name === 'DEFAULT')!.kw;
  const resources = v.sections.filter((s) => s.driver !== undefined).map(resourceOf);
  if (!resources.some((r) => r.rid === IMPLICIT_SYNC_RID)) resources.push(implicitSync());
  // DEFAULT.disable: the whole service, every resource with it (OpenSVC's)
  if (d.disable === true) resources.forEach((r, i) => (resources[i] = { ...r, disable: true }));
  const config: ServiceConfig = {
    name: input.svcname,
    id: str(d.id)!,
    app: str(d.app),
    nodes: list(d.nodes),
    drpnodes: list(d.drpnodes),
    orchestrate: d.orchestrate as ServiceConfig['orchestrate'],
    placement: str(d.placement)!,
    topology: d.topology as ServiceConfig['topology'],
    defaults: d,
    resources,
  };
  return { ok: true, config, doc };
}

export function checkServiceConfig(input: ServiceConfigInput): ServiceConfigCheck {
  const parsed = parseDocument(input.text, input.file);
  if (!parsed.ok) return parsed;
  return checkServiceDocument(parsed.doc, input);
}

/** The typed config of a service, or a ConfigError listing every problem. */
export function parseServiceConfig(input: ServiceConfigInput): ServiceConfig {
  const c = checkServiceConfig(input);
  if (!c.ok) throw new ConfigError(c.problems);
  return c.config;
}
