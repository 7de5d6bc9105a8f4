import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { kwString, type ResourceConfig } from '../../../domain/config/types.js';
import { ResourceError } from '../../../domain/errors.js';
import { runCommand } from '../../exec.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';
import { hasControlChars, isHostName, isInterfaceName, tail } from '../common/values.js';
import { canonicalAddr, parseIpAddrShow, parseNetmask, sameIpv4Network, type IfAddr } from './address.js';
import { arpAnnounce, arpProbe } from './arping.js';
import { IpConflictError } from './conflict.js';

const IP_TIMEOUT_MS = 10_000;
/** Linux IFNAMSIZ - 1: longer alias labels are refused by the kernel */
const MAX_LABEL = 15;

interface Target {
  readonly addr: string;
  readonly family: 4 | 6;
  readonly dev: string;
}

/**
 * ip: a service address plumbed as a secondary address of `ipdev`.
 * Keywords: ipname (literal address or a name), ipdev, netmask (optional),
 * check_carrier (default true: down without carrier), alias (default true:
 * an IPv4 address labelled eth0:N).
 */
export function createIpDriver(conf: ResourceConfig): ResourceDriver {
  const rid = conf.rid;
  const ipname = kwString(conf, 'ipname') ?? '';
  const ipdev = kwString(conf, 'ipdev') ?? '';
  let resolved: string | undefined = isIP(ipname) ? canonicalAddr(ipname) : undefined;

  function checkKeywords(): void {
    if (ipname === '') throw new ResourceError(rid, 'ipname is not set');
    if (ipdev === '') throw new ResourceError(rid, 'ipdev is not set');
    if (!isIP(ipname) && !isHostName(ipname)) {
      throw new ResourceError(rid, `ipname ${JSON.stringify(ipname)} is neither an IP address nor a host name`);
    }
    if (!isInterfaceName(ipdev)) throw new ResourceError(rid, `ipdev ${JSON.stringify(ipdev)} is not an interface name`);
  }

  async function resolve(ctx: DriverContext): Promise<Target> {
    checkKeywords();
    resolved ??= await resolveName(rid, ipname, ctx.signal);
    return { addr: resolved, family: isIP(resolved) === 6 ? 6 : 4, dev: ipdev };
  }

  async function addressesOf(ctx: DriverContext, dev: string): Promise<IfAddr[]> {
    const r = await runCommand(['ip', '-o', 'addr', 'show', 'dev', dev], { signal: ctx.signal, timeoutMs: IP_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new ResourceError(rid, `ipdev ${dev} not found: ${tail(r.stderr) || `ip addr show ret ${r.exitCode}`}`);
    return parseIpAddrShow(r.stdout);
  }

  function findOn(list: readonly IfAddr[], t: Target): IfAddr | undefined {
    return list.find((a) => a.family === t.family && canonicalAddr(a.addr) === t.addr);
  }

  function prefixFor(t: Target, list: readonly IfAddr[]): number {
    const kw = kwString(conf, 'netmask');
    if (kw !== undefined && kw !== '') {
      const p = parseNetmask(kw, t.family);
      if (p === undefined) throw new ResourceError(rid, `netmask ${JSON.stringify(kw)} is not a valid IPv${t.family} netmask`);
      return p;
    }
    const same = list.filter((a) => a.family === t.family);
    const inNet = t.family === 4 ? same.find((a) => sameIpv4Network(t.addr, a.addr, a.prefix)) : undefined;
    const chosen = inNet ?? same.find((a) => !(a.family === 6 && a.addr.toLowerCase().startsWith('fe80:')));
    if (chosen === undefined) {
      throw new ResourceError(rid, `cannot guess the netmask of ${t.addr}: set the netmask keyword or give ${t.dev} an address`);
    }
    return chosen.prefix;
  }

  /** `eth0:1` style label: the first free alias index. IPv6 has no labels. */
  function labelFor(t: Target, list: readonly IfAddr[]): string | undefined {
    if (t.family !== 4) return undefined;
    const used = new Set<number>();
    for (const a of list) {
      const m = a.label?.startsWith(`${t.dev}:`) ? /^(\d+)$/.exec(a.label.slice(t.dev.length + 1)) : null;
      if (m?.[1] !== undefined) used.add(Number(m[1]));
    }
    let n = 1;
    while (used.has(n)) n++;
    const label = `${t.dev}:${n}`;
    return label.length <= MAX_LABEL ? label : undefined;
  }

  /**
   * ICMP (works across routers) and an ARP probe on the link (finds holders
   * that drop ICMP), run side by side to keep the check at ~2s.
   */
  async function answeringHow(ctx: DriverContext, t: Target): Promise<string | undefined> {
    const pingAnswered = new AbortController();
    const ping = runCommand(['ping', ...(t.family === 6 ? ['-6'] : []), '-c', '1', '-W', '1', t.addr], {
      signal: ctx.signal,
      timeoutMs: 5000,
    }).then((r) => {
      if (r.exitCode === 0) pingAnswered.abort();
      return r;
    });
    // IPv6 duplicates are caught by the kernel's own DAD once the address is added
    const dad = t.family === 4 ? arpProbe(t.dev, t.addr, AbortSignal.any([ctx.signal, pingAnswered.signal])) : undefined;
    const [p, a] = await Promise.all([ping, dad]);
    if (p.exitCode === 0) return 'ping';
    if (a?.result === 'in use') return `arp on ${t.dev}`;
    if (a?.result === 'unknown') await ctx.log('warn', `arp duplicate address detection skipped: ${a.detail}`);
    return undefined;
  }

  const driver: ResourceDriver = {
    rid,
    conf,
    label: () => `${resolved ?? ipname}@${ipdev}`,

    async status(ctx): Promise<ResourceStatus> {
      let t: Target;
      try {
        t = await resolve(ctx);
      } catch (err) {
        return { status: 'warn', log: [`warn: ${(err as Error).message}`] };
      }
      const r = await runCommand(['ip', '-o', 'addr', 'show', 'dev', t.dev], { signal: ctx.signal, timeoutMs: IP_TIMEOUT_MS });
      if (r.exitCode !== 0) return { status: 'warn', log: [`warn: ipdev ${t.dev} not found`] };
      if (!findOn(parseIpAddrShow(r.stdout), t)) return { status: 'down', log: [] };
      // as OpenSVC: an address on a link without carrier serves no one (a cable pulled, a switch port down)
      if (conf.kw.check_carrier !== false && (await carrierOf(ctx, t.dev)) === false) {
        return { status: 'down', log: [`warn: ${t.dev} has no carrier (check_carrier = false if its carrier says nothing, a bridge)`] };
      }
      return { status: 'up', log: [] };
    },

    async start(ctx) {
      const t = await resolve(ctx);
      const list = await addressesOf(ctx, t.dev);
      if (findOn(list, t)) {
        await ctx.log('info', `${t.addr} is already up on ${t.dev}`);
        return 'already';
      }
      const prefix = prefixFor(t, list);
      const label = conf.kw.alias === false ? undefined : labelFor(t, list);
      await ctx.log('info', `checking ${t.addr} availability`);
      const how = await answeringHow(ctx, t);
      // an interrupted check proves nothing: never plumb on it
      if (ctx.signal.aborted) throw new ResourceError(rid, 'start aborted during the availability check');
      if (how !== undefined) throw new IpConflictError(rid, t.addr, how);
      const argv = ['ip', 'addr', 'add', `${t.addr}/${prefix}`, 'dev', t.dev, ...(label ? ['label', label] : [])];
      const r = await runCommand(argv, { signal: ctx.signal, timeoutMs: IP_TIMEOUT_MS, log: ctx.log });
      if (r.exitCode !== 0) throw new ResourceError(rid, `ip addr add ${t.addr}/${prefix} failed, ret ${r.exitCode}: ${tail(r.stderr)}`);
      if (t.family === 4) {
        const warning = await arpAnnounce(t.dev, t.addr, ctx.signal, ctx.log);
        if (warning !== undefined) await ctx.log('warn', warning);
      }
      return 'done';
    },

    async announce(ctx) {
      const t = await resolve(ctx);
      if (!findOn(await addressesOf(ctx, t.dev), t)) return 'not here';
      // IPv6 neighbours learn from the kernel's unsolicited advertisements
      if (t.family !== 4) return 'done';
      const warning = await arpAnnounce(t.dev, t.addr, ctx.signal, ctx.log);
      if (warning !== undefined) throw new ResourceError(rid, warning);
      return 'done';
    },

    async stop(ctx) {
      const t = await resolve(ctx);
      const plumbed = findOn(await addressesOf(ctx, t.dev), t);
      if (!plumbed) {
        await ctx.log('info', `${t.addr} is already down on ${t.dev}`);
        return 'already';
      }
      const r = await runCommand(['ip', 'addr', 'del', `${t.addr}/${plumbed.prefix}`, 'dev', t.dev], {
        signal: ctx.signal,
        timeoutMs: IP_TIMEOUT_MS,
        log: ctx.log,
      });
      if (r.exitCode !== 0) throw new ResourceError(rid, `ip addr del ${t.addr} failed, ret ${r.exitCode}: ${tail(r.stderr)}`);
      // as OpenSVC does: tell the user whether the address still answers elsewhere. A holder on
      // the link answers in milliseconds; a relocation's stop waits on this (0.3 s, not 1 s)
      await ctx.log('info', `checking ${t.addr} availability`);
      const ping = await runCommand(['ping', ...(t.family === 6 ? ['-6'] : []), '-c', '1', '-W', '0.3', t.addr], {
        signal: ctx.signal,
        timeoutMs: 5000,
      });
      if (ping.exitCode === 0) await ctx.log('warn', `${t.addr} still answers after its removal from ${t.dev}`);
      return 'done';
    },

    async info(ctx) {
      const out: Record<string, string> = { ipname, ipdev };
      try {
        const t = await resolve(ctx);
        out.ipaddr = t.addr;
        const mask = kwString(conf, 'netmask');
        if (mask) out.netmask = mask;
      } catch (err) {
        out.error = (err as Error).message;
      }
      return out;
    },
  };
  return driver;
}

/**
 * Whether a link has its carrier, from the kernel's LOWER_UP flag as
 * `ip link` shows it in this process' network namespace (sysfs may be
 * another namespace's); undefined when it cannot say. An alias label
 * (eth0:1) is its base link's.
 */
async function carrierOf(ctx: DriverContext, dev: string): Promise<boolean | undefined> {
  const base = dev.split(':')[0] ?? dev;
  const r = await runCommand(['ip', '-o', 'link', 'show', 'dev', base], { signal: ctx.signal, timeoutMs: IP_TIMEOUT_MS });
  const flags = /<([^>]*)>/.exec(r.stdout)?.[1];
  if (r.exitCode !== 0 || flags === undefined) return undefined;
  return flags.split(',').includes('LOWER_UP');
}

/**
 * A literal address is used as is. A name goes through the system resolver
 * (`getent ahostsv4`, i.e. /etc/hosts then DNS as nsswitch.conf says), then
 * node's resolver for IPv6-only names.
 */
export async function resolveName(rid: string, name: string, signal: AbortSignal): Promise<string> {
  if (isIP(name)) return canonicalAddr(name);
  if (hasControlChars(name) || !isHostName(name)) {
    throw new ResourceError(rid, `ipname ${JSON.stringify(name)} is neither an IP address nor a host name`);
  }
  const r = await runCommand(['getent', 'ahostsv4', name], { signal, timeoutMs: IP_TIMEOUT_MS });
  if (r.exitCode === 0) {
    const first = r.stdout.split('\n')[0]?.trim().split(/\s+/)[0];
    if (first !== undefined && isIP(first)) return canonicalAddr(first);
  }
  try {
    const res = await lookup(name, { family: 0 });
    return canonicalAddr(res.address);
  } catch (err) {
    throw new ResourceError(rid, `cannot resolve ipname ${name}`, { cause: err });
  }
}
