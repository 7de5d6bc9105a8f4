import { realpath } from 'node:fs/promises';
import { kwList, kwString, type ResourceConfig } from '../../../domain/config/types.js';
import { ResourceError } from '../../../domain/errors.js';
import { runCommand, type RunOptions } from '../../exec.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';
import { isVgName, tail } from '../common/values.js';

const LVM_TIMEOUT_MS = 120_000;
/** LVM complains on stderr about every fd it inherits; the agent's are harmless */
const LVM_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };
/** characters LVM accepts in a tag (lvm(8) "VALID NAMES") */
const TAG_RE = /^[A-Za-z0-9_+.\-/=!:&#]+$/;

interface VgState {
  readonly exists: boolean;
  /** as vgs prints them: without the `@` of the command line */
  readonly tags: readonly string[];
  readonly lvCount: number;
  readonly activeLvs: number;
}

/**
 * disk type=vg: a volume group owned by the node that carries its tag
 * (`vgchange --addtag @node1`), as OpenSVC's host-tag activation does.
 * Keywords: name (the VG name; `vgname` accepted too), pvs (checked, see
 * pvsCheck).
 */
export function createVgDriver(conf: ResourceConfig): ResourceDriver {
  const rid = conf.rid;
  const name = kwString(conf, 'name') ?? kwString(conf, 'vgname') ?? '';
  const vgLabel = `vg ${name}`;

  function lvm(ctx: DriverContext, echo: boolean): RunOptions {
    return { signal: ctx.signal, timeoutMs: LVM_TIMEOUT_MS, env: LVM_ENV, ...(echo ? { log: ctx.log } : {}) };
  }

  function checkKeywords(ctx: DriverContext): void {
    if (name === '') throw new ResourceError(rid, 'name is not set (the volume group name)');
    if (!isVgName(name)) throw new ResourceError(rid, `name ${JSON.stringify(name)} is not a volume group name`);
    if (!TAG_RE.test(ctx.nodename)) throw new ResourceError(rid, `node name ${JSON.stringify(ctx.nodename)} cannot be an LVM tag`);
  }

  async function probe(ctx: DriverContext): Promise<VgState> {
    checkKeywords(ctx);
    const r = await runCommand(['vgs', '--noheadings', '--separator', '|', '-o', 'vg_name,vg_tags,lv_count', name], lvm(ctx, false));
    if (r.exitCode !== 0) {
      if (/not found/i.test(r.stderr)) return { exists: false, tags: [], lvCount: 0, activeLvs: 0 };
      throw new ResourceError(rid, `vgs ${name} failed, ret ${r.exitCode}: ${tail(r.stderr)}`);
    }
    const [, tagField = '', countField = '0'] = (r.stdout.trim().split('\n')[0] ?? '').trim().split('|');
    const tags = tagField.split(',').map((t) => t.trim()).filter(Boolean);
    const lvCount = Number(countField.trim()) || 0;
    let activeLvs = 0;
    if (lvCount > 0) {
      const l = await runCommand(['lvs', '--noheadings', '--separator', '|', '-o', 'lv_name,lv_attr', name], lvm(ctx, false));
      if (l.exitCode !== 0) throw new ResourceError(rid, `lvs ${name} failed, ret ${l.exitCode}: ${tail(l.stderr)}`);
      for (const line of l.stdout.split('\n')) {
        const attr = line.trim().split('|')[1] ?? '';
        if (attr[4] === 'a') activeLvs++;
      }
    }
    return { exists: true, tags, lvCount, activeLvs };
  }

  /** every tag but ours is another host's claim: VG tags are host tags in OpenSVC */
  const othersOf = (s: VgState, nodename: string) => s.tags.filter((t) => t !== nodename);
  const allActive = (s: VgState) => s.activeLvs === s.lvCount;

  /**
   * pvs is OpenSVC's provisioning layout, and hasvc does not provision: it
   * checks the group found lies on every device listed (a config written
   * for other disks, a wrong group of the same name), symlinks resolved.
   * The warning line, or undefined when it does (or pvs is empty).
   */
  async function pvsCheck(ctx: DriverContext): Promise<string | undefined> {
    const listed = kwList(conf, 'pvs');
    if (listed.length === 0) return undefined;
    const r = await runCommand(['vgs', '--noheadings', '-o', 'pv_name', name], lvm(ctx, false));
    if (r.exitCode !== 0) return undefined;
    const on = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    const canonical = (p: string) => realpath(p).catch(() => p);
    const have = new Set(await Promise.all(on.map(canonical)));
    const missing: string[] = [];
    for (const p of listed) if (!have.has(await canonical(p))) missing.push(p);
    if (missing.length === 0) return undefined;
    return `warn: pvs lists ${missing.join(', ')}, not ${missing.length === 1 ? 'a physical volume' : 'physical volumes'} of vg ${name} (it is on ${on.join(', ') || 'none'})`;
  }

  async function vgchange(ctx: DriverContext, args: readonly string[]): Promise<void> {
    const r = await runCommand(['vgchange', ...args, name], lvm(ctx, true));
    if (r.exitCode !== 0) throw new ResourceError(rid, `vgchange ${args.join(' ')} ${name} failed, ret ${r.exitCode}: ${tail(r.stderr)}`);
  }

  const driver: ResourceDriver = {
    rid,
    conf,
    label: () => vgLabel,

    async status(ctx): Promise<ResourceStatus> {
      let s: VgState;
      try {
        s = await probe(ctx);
      } catch (err) {
        return { status: 'warn', log: [`warn: ${(err as Error).message}`] };
      }
      if (!s.exists) return { status: 'down', log: [`warn: vg ${name} not found`] };
      const log: string[] = [];
      const others = othersOf(s, ctx.nodename);
      if (others.length > 0) log.push(`info: tagged by ${others.map((t) => `@${t}`).join(', ')}`);
      const pvs = await pvsCheck(ctx);
      if (pvs !== undefined) log.push(pvs);
      if (!s.tags.includes(ctx.nodename)) return { status: 'down', log };
      if (!allActive(s)) {
        log.push(`warn: tagged @${ctx.nodename} but ${s.lvCount - s.activeLvs} of ${s.lvCount} logical volumes are not active`);
        return { status: 'down', log };
      }
      return { status: pvs !== undefined ? 'warn' : 'up', log };
    },

    async start(ctx) {
      const s = await probe(ctx);
      if (!s.exists) throw new ResourceError(rid, `vg ${name} not found`);
      const ours = s.tags.includes(ctx.nodename);
      if (ours && allActive(s)) {
        await ctx.log('info', `${vgLabel} is already up`);
        return 'already';
      }
      const others = othersOf(s, ctx.nodename);
      if (others.length > 0) {
        const who = others.map((t) => `@${t}`).join(', ');
        if (!ctx.force) throw new ResourceError(rid, `${vgLabel} is tagged ${who} (owned by another node): refusing to start it, use --force to take it over`);
        for (const t of others) await vgchange(ctx, ['--deltag', `@${t}`]);
      }
      if (!ours) await vgchange(ctx, ['--addtag', `@${ctx.nodename}`]);
      // As in the tutorial: after tagging, a VG whose logical volumes are all
      // active already (or that has none: nothing to activate) is reported
      // "already up" instead of running a no-op `vgchange -a y`.
      if (allActive(s)) {
        await ctx.log('info', `${vgLabel} is already up`);
        return 'done';
      }
      await vgchange(ctx, ['-a', 'y']);
      return 'done';
    },

    async stop(ctx) {
      const s = await probe(ctx);
      const ours = s.exists && s.tags.includes(ctx.nodename);
      if (!ours && s.activeLvs === 0) {
        await ctx.log('info', `${vgLabel} is already down`);
        return 'already';
      }
      // tutorial order: drop the tag, then deactivate
      if (ours) await vgchange(ctx, ['--deltag', `@${ctx.nodename}`]);
      await vgchange(ctx, ['-a', 'n']);
      return 'done';
    },

    // exposed: its logical volumes, active or not; sub: its physical volumes
    async devs(ctx) {
      checkKeywords(ctx);
      const lines = (out: string) => out.split('\n').map((l) => l.trim()).filter(Boolean);
      const pvs = await runCommand(['vgs', '--noheadings', '-o', 'pv_name', name], lvm(ctx, false));
      if (pvs.exitCode !== 0) {
        if (/not found/i.test(pvs.stderr)) return { exposed: [], sub: [] };
        throw new ResourceError(rid, `vgs ${name} failed, ret ${pvs.exitCode}: ${tail(pvs.stderr)}`);
      }
      const lvs = await runCommand(['lvs', '--noheadings', '-o', 'lv_path', name], lvm(ctx, false));
      if (lvs.exitCode !== 0) throw new ResourceError(rid, `lvs ${name} failed, ret ${lvs.exitCode}: ${tail(lvs.stderr)}`);
      return { exposed: [...new Set(lines(lvs.stdout))].sort(), sub: [...new Set(lines(pvs.stdout))].sort() };
    },

    async info(ctx) {
      const out: Record<string, string> = { name };
      try {
        const s = await probe(ctx);
        out.exists = String(s.exists);
        out.tags = s.tags.map((t) => `@${t}`).join(' ');
        out.lv_count = String(s.lvCount);
        out.lv_active = String(s.activeLvs);
      } catch (err) {
        out.error = (err as Error).message;
      }
      return out;
    },
  };
  return driver;
}
