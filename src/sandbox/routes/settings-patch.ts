/**
 * A `PATCH .../settings` body applied to a simulator's settings: every named setting must exist, and is either one
 * of its listed words or a non-negative integer. All or nothing: the first bad one names itself and nothing changes.
 */
export function patchSettings<S extends object>(
  current: S,
  changes: Record<string, unknown>,
  words: Record<string, readonly string[]>,
): { settings: S } | { invalid: string } {
  const names = Object.keys(current);
  const next = { ...current } as Record<string, unknown>;
  for (const [name, value] of Object.entries(changes)) {
    const allowed = words[name];
    const valid = allowed
      ? allowed.includes(value as string)
      : names.includes(name) && Number.isInteger(value) && (value as number) >= 0;
    if (!valid) return { invalid: `${name} cannot be set to ${JSON.stringify(value)}` };
    next[name] = value;
  }
  return { settings: next as S };
}
