/** `MAJOR.MINOR.PATCH[-pre.release][+build]`, compared by semver's precedence rules. */
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function isVersion(v: string): boolean {
  return SEMVER.test(v);
}

/** < 0 when a is older than b, 0 when equal in precedence, > 0 when newer; throws on a malformed version. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => {
    const m = SEMVER.exec(v);
    if (!m) throw new Error(`'${v}' is not a version (MAJOR.MINOR.PATCH)`);
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4]?.split('.') ?? [] };
  }) as [{ core: number[]; pre: string[] }, { core: number[]; pre: string[] }];
  for (let i = 0; i < 3; i++) if (pa.core[i] !== pb.core[i]) return pa.core[i]! - pb.core[i]!;
  // A pre-release sorts before its release; identifiers compare numerically when both are numbers.
  if (!pa.pre.length || !pb.pre.length) return pb.pre.length - pa.pre.length;
  for (let i = 0; i < Math.max(pa.pre.length, pb.pre.length); i++) {
    const [x, y] = [pa.pre[i], pb.pre[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
