import { describe, expect, it } from '@jest/globals';
import { escapeForTerminal, showName, showPath } from '../../domain/escape.js';

describe('escapeForTerminal: a line as it may reach a terminal', () => {
  it('shows what a terminal would act on: ESC, CSI, bell, CR, LF, DEL, C1, bidi overrides', () => {
    expect(escapeForTerminal('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(escapeForTerminal('\x1b]0;owned\x07')).toBe('\\x1b]0;owned\\x07');
    expect(escapeForTerminal('one\ntwo\rthree')).toBe('one\\ntwo\\rthree');
    expect(escapeForTerminal('\x00\x08\x7f\x9b31m\x85')).toBe('\\x00\\x08\\x7f\\x9b31m\\x85');
    expect(escapeForTerminal('abc\u202edcb\u2066x\u2069\u2028')).toBe('abc\\u202edcb\\u2066x\\u2069\\u2028');
  });

  it('leaves readable text alone: tabs, backslashes, accents, other scripts', () => {
    for (const s of ['key\t= value', 'C:\\dir\\x1b as text', 'café, 日本語, ß', '']) expect(escapeForTerminal(s)).toBe(s);
  });
});

describe('showName / showPath: plain when plain, quoted and escaped when not', () => {
  it('names', () => {
    expect(showName('node1')).toBe('node1');
    expect(showName('svc\n1')).toBe('"svc\\n1"');
    expect(showName('node\x1b[31m')).toBe('"node\\u001b[31m"');
    expect(showName('')).toBe('""');
  });

  it('paths, long ones kept whole', () => {
    expect(showPath('/etc/opensvc/svc1.dir/launcher')).toBe('/etc/opensvc/svc1.dir/launcher');
    expect(showPath('/tmp/a b')).toBe('"/tmp/a b"');
    expect(showPath('/tmp/x\ny')).toBe('"/tmp/x\\ny"');
    const long = `/${'d'.repeat(300)} x`;
    expect(showPath(long)).toBe(JSON.stringify(long));
  });
});
