import { UsageError } from '../../../domain/errors.js';
import { NODE_RE } from '../../../domain/events.js';
import { nodename } from '../../config/identity.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import { allowOnly, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';

/**
 * nodemgr ping [--node NODE,...]: each node asked answers through its
 * listener, the request signed as the cluster's requests are (the peers
 * path of sync nodes and joins): `node2 is alive`, or why not. Every other
 * node of the cluster by default; exit 1 when one does not answer.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'ping', ['node']);
  noExtraWords(ctx, 'ping');
  const me = nodename(ctx.env);
  const asked = optAll(ctx.args, 'node').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const n of asked) if (!NODE_RE.test(n)) throw new UsageError(`ping: --node ${n}: not a node name`);
  const nodes = asked.length > 0 ? asked : loadNodeConfig(ctx.paths, ctx.env).cluster.nodes.filter((n) => n !== me);
  if (nodes.length === 0) throw new UsageError(`ping: ${me} is a cluster of its own: name a node with --node NODE`);
  const [{ peerRequest }, { peerTarget }] = await Promise.all([import('../../daemon/client.js'), import('../../sync/peers.js')]);
  const answers = await Promise.all(
    nodes.map(async (n) => {
      let where = n;
      try {
        const t = peerTarget(ctx.paths, ctx.env, n);
        where = `${t.host}:${t.port}`;
        const t0 = Date.now();
        const r = await peerRequest<{ node?: unknown }>(t, 'GET', '/daemon/ping', undefined, { timeoutMs: 5000 });
        if (r.status === 200 && r.body.node === n) return { n, ok: true, line: `${n} is alive (${t.host}:${t.port}, ${Date.now() - t0} ms)` };
        const why = typeof r.body === 'object' && r.body !== null && 'error' in r.body ? String((r.body as { error: unknown }).error) : r.status === 200 ? `${String(r.body.node)} answered` : `HTTP ${r.status}`;
        return { n, ok: false, line: `${n} is not alive: ${where}: ${why}` };
      } catch (e) {
        // the system's own words (ECONNREFUSED, ENOTFOUND, a timeout) say most
        const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
        return { n, ok: false, line: `${n} is not alive: ${where}: ${cause}` };
      }
    }),
  );
  for (const a of answers) (a.ok ? ctx.out : ctx.err)(a.line);
  return answers.every((a) => a.ok) ? 0 : 1;
}
