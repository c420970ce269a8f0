/**
 * The erasure ledger: one small file per erased user (`<pseudonym>.json`) in ERASURE_LEDGER_DIR, a directory the
 * operator keeps apart from the database and its backups. A database restored from before an erasure brings the
 * user back; every start reads the ledger and erases them again before serving (apply-ledger.ts).
 *
 * A directory of files rather than one appended file: each erasure is one exclusive create, safe from several
 * instances on a shared volume (NFS, EFS) without locking, and the record is fsynced, with its directory, before
 * the erasure goes on. Nothing personal is written: the pseudonym, the time, who asked.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LedgerEntry {
  pseudonym: string;
  erasedAt: string;
  requestedBy: string;
}

const PSEUDONYM = /^[0-9a-f]{64}$/;

export function createErasureLedger(dir: string) {
  async function syncDir() {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  return {
    dir,
    /** Records an erasure durably; a second record of the same user keeps the first. */
    async record(entry: LedgerEntry): Promise<void> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(join(dir, `${entry.pseudonym}.json`), 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
        throw error;
      }
      try {
        await handle.writeFile(`${JSON.stringify(entry)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDir();
    },

    /** Every recorded erasure (an absent directory is an empty ledger). */
    async entries(): Promise<LedgerEntry[]> {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const entries: LedgerEntry[] = [];
      for (const name of names) {
        const pseudonym = name.replace(/\.json$/, '');
        if (!name.endsWith('.json') || !PSEUDONYM.test(pseudonym)) continue;
        const text = await readFile(join(dir, name), 'utf8');
        // The file name is the record; its body adds when and who, and a torn body still erases.
        let body: Partial<LedgerEntry> = {};
        try {
          body = JSON.parse(text) as Partial<LedgerEntry>;
        } catch {}
        entries.push({
          pseudonym,
          erasedAt: body.erasedAt ?? new Date(0).toISOString(),
          requestedBy: body.requestedBy ?? 'unknown',
        });
      }
      return entries;
    },
  };
}

export type ErasureLedger = ReturnType<typeof createErasureLedger>;
