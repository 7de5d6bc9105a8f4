import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { emptyDocument, getValue, parseDocument, serializeDocument } from '../../../domain/config/document.js';
import { ConfigError, ConflictError } from '../../../domain/errors.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { ensureId, readServiceText, writeServiceText, type ServiceText } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from './options.js';
import { record } from './record.js';

/** $EDITOR may hold arguments ("code -w"): run it through sh, the file passed as "$1", never spliced in. */
function runEditor(editor: string, file: string, env: NodeJS.ProcessEnv): number {
  const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit', env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

async function askEditAgain(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question('edit again? [Y/n] ')).trim().toLowerCase();
    return a === '' || a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}

/**
 * svcmgr -s svc1 edit config: $EDITOR (default vi) on a temp copy; the live
 * file is replaced, atomically, only by a valid config. On problems: print
 * them, then on a terminal offer to edit again, else keep the old file and
 * exit 1. A service whose live file is broken can be edited to fix it.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'edit config', []);
  noExtraWords(ctx, 'edit config');
  const svc = checkServiceName(ctx.svc);
  const { file, text } = readServiceText(ctx.paths, svc);
  const parsed = parseDocument(text, file);
  const cur: ServiceText = { file, text, doc: parsed.ok ? parsed.doc : emptyDocument(file) };
  const previousId = getValue(cur.doc, 'DEFAULT', 'id');
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvc-edit-'));
  const tmp = path.join(dir, `${svc}.conf`);
  let keep = false;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    for (;;) {
      const code = runEditor(editor, tmp, ctx.env);
      if (code !== 0) {
        ctx.err(`${editor} exited with code ${code}: ${file} left as it was`);
        return 1;
      }
      let next = fs.readFileSync(tmp, 'utf8');
      if (next === text) return 0;
      try {
        // an id dropped by the edit comes back: the service keeps its identity
        const doc = parseDocument(next, file);
        if (doc.ok && getValue(doc.doc, 'DEFAULT', 'id') === undefined) next = serializeDocument(ensureId(doc.doc, previousId));
        const res = writeServiceText(cur, next, svc, ctx.env);
        return await record(ctx, [{ type: 'ServiceConfigChanged', svc, changed: res.changed, checksum: res.checksum, text: res.text }]);
      } catch (e) {
        if (e instanceof ConflictError) {
          keep = true;
          ctx.err(`your version is kept in ${tmp}`);
        }
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) ctx.err(p);
        if (process.stdin.isTTY && (await askEditAgain())) continue;
        ctx.err(`${file} left as it was`);
        return 1;
      }
    }
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
