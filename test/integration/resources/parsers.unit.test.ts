import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseSeconds } from '../../../adapters/resources/common/duration.js';
import { canonicalAddr, parseIpAddrShow, parseNetmask } from '../../../adapters/resources/ip/address.js';
import { parseMounts } from '../../../adapters/resources/fs/mounts.js';

describe('what the drivers read from commands and /proc', () => {
  test('ip -o addr show: addresses, prefixes and alias labels', () => {
    const text = [
      '4: eth0    inet 192.168.121.249/24 brd 192.168.121.255 scope global dynamic eth0\\       valid_lft 2205sec preferred_lft 2205sec',
      '4: eth0    inet 192.168.121.42/24 brd 192.168.121.255 scope global secondary eth0:1\\       valid_lft forever preferred_lft forever',
      '4: eth0    inet6 fe80::5054:ff:fea6:c3d7/64 scope link \\       valid_lft forever preferred_lft forever',
    ].join('\n');
    expect(parseIpAddrShow(text)).toEqual([
      { family: 4, addr: '192.168.121.249', prefix: 24, label: 'eth0' },
      { family: 4, addr: '192.168.121.42', prefix: 24, label: 'eth0:1' },
      { family: 6, addr: 'fe80::5054:ff:fea6:c3d7', prefix: 64, label: undefined },
    ]);
  });

  test('netmask: length or dotted, contiguous only', () => {
    expect(parseNetmask('255.255.255.0', 4)).toBe(24);
    expect(parseNetmask('255.255.255.255', 4)).toBe(32);
    expect(parseNetmask('0.0.0.0', 4)).toBe(0);
    expect(parseNetmask('24', 4)).toBe(24);
    expect(parseNetmask('64', 6)).toBe(64);
    expect(parseNetmask('33', 4)).toBeUndefined();
    expect(parseNetmask('255.0.255.0', 4)).toBeUndefined();
    expect(parseNetmask('255.255.255.0', 6)).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), (n) => {
        const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
        const dotted = [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
        return parseNetmask(dotted, 4) === n;
      }),
    );
  });

  test('IPv6 addresses compare in RFC 5952 form', () => {
    expect(canonicalAddr('FD00:0:0:0:0:0:0:42')).toBe('fd00::42');
    expect(canonicalAddr('fd00::0:42')).toBe('fd00::42');
    expect(canonicalAddr('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalAddr('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(canonicalAddr('192.168.121.42')).toBe('192.168.121.42');
  });

  test('/proc/mounts octal escapes are decoded', () => {
    expect(parseMounts('/dev/loop3 /tmp/a\\040b\\011c\\134d ext4 rw,relatime 0 0\n')).toEqual([
      { source: '/dev/loop3', target: '/tmp/a b\tc\\d', fstype: 'ext4', options: 'rw,relatime' },
    ]);
  });

  test('timeouts: seconds, or with s/m/h', () => {
    expect([parseSeconds(10), parseSeconds('90'), parseSeconds('90s'), parseSeconds('2m'), parseSeconds('1h')]).toEqual([10, 90, 90, 120, 3600]);
    expect([parseSeconds(0), parseSeconds('-1'), parseSeconds('soon'), parseSeconds(undefined), parseSeconds(true)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
