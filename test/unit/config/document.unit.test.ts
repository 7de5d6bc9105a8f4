import { describe, expect, test } from '@jest/globals';
import { changedKeywords } from '../../../domain/config/diff.js';
import { emptyDocument, getValue, parseDocument, removeSection, sectionNames, serializeDocument, setValue, unsetValue, type IniDocument } from '../../../domain/config/document.js';

const F = '/etc/opensvc/svc1.conf';

function doc(text: string): IniDocument {
  const r = parseDocument(text, F);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.doc;
}

const TEXT = `# head comment

[DEFAULT]
id = 1
  nodes = node1 node2
# about ip

; more about ip
[ip#0]
ipname = a#b;c = d
ipdev = eth0

[fs#app]
type = ext4
`;

describe('reading', () => {
  test('serialize(parse(text)) is the text', () => {
    expect(serializeDocument(doc(TEXT))).toBe(TEXT);
  });

  test('values keep #, ; and = ; the first = splits', () => {
    expect(getValue(doc(TEXT), 'ip#0', 'ipname')).toBe('a#b;c = d');
    expect(getValue(doc(TEXT), 'DEFAULT', 'nodes')).toBe('node1 node2');
  });

  test('CRLF, a BOM and tabs read like plain LF text', () => {
    const d = doc(`\uFEFF[DEFAULT]\r\n\tid\t=\t1 \r\n[ip#0]\r\nipdev=eth0\r\n`);
    expect(d.eol).toBe('\r\n');
    expect(getValue(d, 'DEFAULT', 'id')).toBe('1');
    expect(getValue(d, 'ip#0', 'ipdev')).toBe('eth0');
    expect(serializeDocument(d)).toBe(`[DEFAULT]\r\n\tid\t=\t1 \r\n[ip#0]\r\nipdev=eth0\r\n`);
  });

  test('a lone CR ends a line', () => {
    expect(getValue(doc('[DEFAULT]\rid = 1\r'), 'DEFAULT', 'id')).toBe('1');
  });

  test('empty text and an empty value', () => {
    expect(serializeDocument(doc(''))).toBe('');
    expect(getValue(doc('[DEFAULT]\ncomment =\n'), 'DEFAULT', 'comment')).toBe('');
  });

  test.each([
    ['[DEFAULT]\nid = 1\nid = 2\n', `${F}:3: [DEFAULT] keyword "id" is set twice (lines 2 and 3): keep one`],
    ['[DEFAULT]\n[ip#0]\n[DEFAULT]\n', `${F}:3: section [DEFAULT] is declared twice (lines 1 and 3): merge them into one`],
    ['id = 1\n[DEFAULT]\n', `${F}:1: keyword "id" is outside any section: add a section header like [DEFAULT] above it`],
    ['[DEFAULT]\nnodes node1\n', `${F}:2: expected "keyword = value" or "[section]", found "nodes node1"`],
    ['[DEFAULT\n', `${F}:1: section header "[DEFAULT" is invalid: expected "[name]", like [DEFAULT] or [ip#0]`],
    ['[]\n', `${F}:1: section header "[]" is invalid: expected "[name]", like [DEFAULT] or [ip#0]`],
    ['[DEFAULT]\n= 1\n', `${F}:2: keyword name "" is invalid: expected letters, digits, "_", "-", "." or "@"`],
    ['[DEFAULT]\nno des = 1\n', `${F}:2: keyword name "no des" is invalid: expected letters, digits, "_", "-", "." or "@"`],
  ])('refused: %j', (text, problem) => {
    const r = parseDocument(text, F);
    expect(r).toEqual({ ok: false, problems: [problem] });
  });

  test('every problem is listed, not just the first', () => {
    const r = parseDocument('[a]\nx = 1\nx = 2\n[a]\nbad line\n', F);
    expect(r.ok ? [] : r.problems).toHaveLength(3);
  });
});

describe('editing keeps comments, order and blank lines', () => {
  test('set an existing keyword: its line only, indentation kept', () => {
    const d = setValue(doc(TEXT), 'DEFAULT', 'nodes', 'node1');
    expect(serializeDocument(d)).toBe(TEXT.replace('  nodes = node1 node2', '  nodes = node1'));
  });

  test('set a new keyword: after the last keyword of its section', () => {
    const d = setValue(doc(TEXT), 'ip#0', 'netmask', '24');
    expect(serializeDocument(d)).toBe(TEXT.replace('ipdev = eth0\n', 'ipdev = eth0\nnetmask = 24\n'));
  });

  test('a new keyword lands before the comments that introduce the next section', () => {
    const d = setValue(doc(TEXT), 'DEFAULT', 'app', 'MyApp');
    expect(serializeDocument(d)).toBe(TEXT.replace('  nodes = node1 node2\n', '  nodes = node1 node2\napp = MyApp\n'));
  });

  test('a new section goes at the end after a blank line; DEFAULT goes first', () => {
    expect(serializeDocument(setValue(doc(TEXT), 'app#web', 'script', 'weblauncher'))).toBe(`${TEXT}\n[app#web]\nscript = weblauncher\n`);
    expect(serializeDocument(setValue(doc('[ip#0]\nipdev = eth0\n'), 'DEFAULT', 'id', 'x'))).toBe('[DEFAULT]\nid = x\n\n[ip#0]\nipdev = eth0\n');
    expect(serializeDocument(setValue(emptyDocument(F), 'DEFAULT', 'id', 'x'))).toBe('[DEFAULT]\nid = x\n');
  });

  test('first: on top of the section', () => {
    expect(serializeDocument(setValue(doc('[DEFAULT]\napp = a\n'), 'DEFAULT', 'id', 'x', { first: true }))).toBe('[DEFAULT]\nid = x\napp = a\n');
  });

  test('unset removes the line only', () => {
    expect(serializeDocument(unsetValue(doc(TEXT), 'ip#0', 'ipname'))).toBe(TEXT.replace('ipname = a#b;c = d\n', ''));
    expect(unsetValue(doc(TEXT), 'ip#0', 'nope')).toEqual(doc(TEXT));
  });

  test('removing a section takes the comments right above it along, not the ones above the next', () => {
    const d = removeSection(doc(TEXT), 'ip#0');
    expect(serializeDocument(d)).toBe(`# head comment

[DEFAULT]
id = 1
  nodes = node1 node2
# about ip

[fs#app]
type = ext4
`);
    expect(sectionNames(d)).toEqual(['DEFAULT', 'fs#app']);
  });

  test('edits keep CRLF', () => {
    const d = setValue(doc('[DEFAULT]\r\nid = 1\r\n'), 'ip#0', 'ipdev', 'eth0');
    expect(serializeDocument(d)).toBe('[DEFAULT]\r\nid = 1\r\n\r\n[ip#0]\r\nipdev = eth0\r\n');
  });

  test('changedKeywords names added, changed and removed keywords', () => {
    const a = doc(TEXT);
    const b = removeSection(setValue(setValue(a, 'DEFAULT', 'id', '2'), 'app#web', 'script', 'w'), 'fs#app');
    expect(changedKeywords(a, b)).toEqual(['DEFAULT.id', 'app#web.script', 'fs#app.type']);
    expect(changedKeywords(a, a)).toEqual([]);
  });
});
