/** Levenshtein distance, for "did you mean …" hints. */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** The closest candidates to `name`, best first; empty when nothing is plausibly a typo. */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const cl = c.toLowerCase();
    let d = editDistance(lower, cl);
    if (cl.startsWith(lower) || lower.startsWith(cl) || cl.includes(lower)) d = Math.min(d, 1);
    const limit = Math.max(2, Math.floor(Math.max(name.length, c.length) / 3));
    if (d <= limit) scored.push([c, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  return scored.slice(0, max).map(([c]) => c);
}

/** "did you mean `a` or `b`?" or undefined. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const close = closestNames(name, candidates);
  if (close.length === 0) return undefined;
  return `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`;
}
