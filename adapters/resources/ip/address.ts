import { isIP } from 'node:net';

/** One address as `ip -o addr show` lists it. */
export interface IfAddr {
  readonly family: 4 | 6;
  readonly addr: string;
  readonly prefix: number;
  /** the label column (`eth0:1`), IPv4 only */
  readonly label: string | undefined;
}

/** Parse `ip -o addr show dev DEV` lines. */
export function parseIpAddrShow(text: string): IfAddr[] {
  const out: IfAddr[] = [];
  for (const line of text.split('\n')) {
    const m = /\binet(6?)\s+([0-9A-Fa-f.:]+)\/(\d+)(.*)$/.exec(line);
    if (!m || m[2] === undefined || m[3] === undefined) continue;
    const family = m[1] === '6' ? 6 : 4;
    let label: string | undefined;
    if (family === 4) {
      // the label is the last word before the `\` that ends the first logical line
      const rest = (m[4] ?? '').split('\\')[0] ?? '';
      const words = rest.trim().split(/\s+/);
      label = words[words.length - 1] || undefined;
    }
    out.push({ family, addr: m[2], prefix: Number(m[3]), label });
  }
  return out;
}

/** Canonical text of an address, so `fd00::0:1` and `fd00::1` compare equal. */
export function canonicalAddr(addr: string): string {
  if (isIP(addr) !== 6) return addr;
  const groups = expandIpv6(addr);
  if (groups === undefined) return addr.toLowerCase();
  // RFC 5952: compress the longest run of zero groups (length >= 2)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function expandIpv6(addr: string): number[] | undefined {
  let a = addr.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4 && v4[1] !== undefined) {
    const n = ipv4ToInt(v4[1]);
    if (n === undefined) return undefined;
    a = `${a.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tailPart = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tailPart.length;
  if (halves.length === 1 && missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tailPart];
  if (all.length !== 8) return undefined;
  return all.map((g) => parseInt(g, 16));
}

export function ipv4ToInt(a: string): number | undefined {
  const parts = a.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/**
 * The prefix length of a `netmask` keyword: a length (`24`, `64`) or, for
 * IPv4, a dotted mask (`255.255.255.0`). Undefined when malformed.
 */
export function parseNetmask(v: string, family: 4 | 6): number | undefined {
  const s = v.trim();
  if (/^\d{1,3}$/.test(s)) {
    const n = Number(s);
    return n <= (family === 4 ? 32 : 128) ? n : undefined;
  }
  if (family !== 4) return undefined;
  const mask = ipv4ToInt(s);
  if (mask === undefined) return undefined;
  // contiguous ones then zeros
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  let bits = 0;
  for (let m = mask; m !== 0; m = (m << 1) >>> 0) bits++;
  return bits;
}

/** Whether an IPv4 address is in the network `base/prefix`. */
export function sameIpv4Network(a: string, base: string, prefix: number): boolean {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(base);
  if (x === undefined || y === undefined) return false;
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return (x & mask) >>> 0 === (y & mask) >>> 0;
}
