/**
 * Applied at every start, before Keyfob serves: a user named in the erasure ledger but present in the database
 * was brought back by a restore from before their erasure; their rows are deleted again (data key first), with no
 * provider call (the consent was ended when they were erased; a restored token is not used again). The erasure's
 * own record is restored too, marked as re-applied.
 */
import type { ErasureRepository } from '../repositories/erasures.ts';
import type { ErasureLedger } from './erasure-ledger.ts';

export async function applyErasureLedger(ledger: ErasureLedger, erasures: ErasureRepository): Promise<number> {
  const entries = await ledger.entries();
  if (entries.length === 0) return 0;
  const byPseudonym = new Map(entries.map((entry) => [entry.pseudonym, entry]));
  const restored = await erasures.usersWithPseudonyms([...byPseudonym.keys()]);
  for (const { id, pseudonym } of restored) {
    const entry = byPseudonym.get(pseudonym);
    if (!entry) continue;
    await erasures.eraseRows(
      id,
      {
        pseudonym: entry.pseudonym,
        erasedAt: new Date(entry.erasedAt),
        requestedBy: entry.requestedBy,
        disconnections: [],
      },
      { reapplied: true },
    );
  }
  return restored.length;
}
