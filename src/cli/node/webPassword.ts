import { setValue } from '../../../domain/config/document.js';
import { UsageError } from '../../../domain/errors.js';
import { updateNodeConfig } from '../../config/nodeConfig.js';
import { hashPassword } from '../../daemon/web/password.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';
import { record } from '../svc/record.js';

const USER_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const MIN_LENGTH = 12;

/** A line typed at the terminal, not echoed; Ctrl-C or Ctrl-D give up. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (e?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (e) reject(e);
      else resolve(text);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('web password: cancelled, nothing written'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The password: typed twice at a terminal, or the first line of stdin (a pipe); never an argument, which ps shows. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden('Password: ');
    if ((await promptHidden('Again: ')) !== first) throw new UsageError('web password: the two passwords differ, nothing written');
    return first;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 4096) throw new UsageError('web password: stdin holds more than 4096 bytes, not a password');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/**
 * nodemgr web password --user NAME: the operator of the web view
 * ([web] user, and password as an scrypt hash) in node.conf, written 0600.
 * Sessions opened with the former password end at their next request.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'web password', ['user']);
  noExtraWords(ctx, 'web password');
  const user = opt(ctx.args, 'user');
  if (user === undefined) throw new UsageError('web password: --user NAME is required (the name the operator logs in with)');
  if (!USER_RE.test(user)) throw new UsageError('web password: --user must be letters, digits, "_", ".", "@" or "-", starting with a letter or digit, at most 64');
  const password = await readPassword();
  if (password.length < MIN_LENGTH) throw new UsageError(`web password: the password must have at least ${MIN_LENGTH} characters`);
  const hash = await hashPassword(password);
  const changes = updateNodeConfig(ctx.paths, ctx.env, (docs) => ({ ...docs, node: setValue(setValue(docs.node, 'web', 'user', user), 'web', 'password', hash) }));
  ctx.out(`web operator ${user} set in ${ctx.paths.nodeConf}${changes.length === 0 ? ' (unchanged)' : ''}`);
  return record(ctx, changes.map((c) => ({ type: 'NodeConfigChanged' as const, file: c.file, changed: c.changed })));
}
