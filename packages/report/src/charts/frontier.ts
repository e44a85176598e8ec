/**
 * The non-dominated set used to draw the Pareto frontier. Temporary local version until
 * @percept/metrics exports paretoFrontier; see the report for the switch.
 */
export function nonDominated<T>(points: readonly T[], x: (p: T) => number, y: (p: T) => number): T[] {
  // Sweep from the highest x down: a point is on the frontier when its y beats every point with larger x.
  const sorted = [...points].sort((a, b) => x(b) - x(a) || y(b) - y(a));
  const out: T[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (y(p) > bestY) {
      out.push(p);
      bestY = y(p);
    }
  }
  return out.reverse();
}
