// "Did you mean" suggestions for misspelt names (passes, options, processors). A typo is the
// commonest pipeline mistake, and the nearest registered name is usually what was meant.

/** Registered names close to `word`, best first (at most `max`). Case is ignored. */
export function closestNames(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  const scored: { name: string; d: number }[] = [];
  for (const name of candidates) {
    const c = name.toLowerCase();
    const d = editDistance(w, c);
    // A long enough prefix also counts ("sort" -> "sort-topologically").
    if (d <= limit || (w.length >= 3 && c.startsWith(w))) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** `did you mean "a" or "b"?`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = closestNames(word, candidates);
  if (near.length === 0) return '';
  return `did you mean ${near.map((n) => `"${n}"`).join(' or ')}?`;
}

/** Edit distance counting a swap of two neighbours as one edit ("cuont" -> "count"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
