/**
 * Gated statistics over block loudness (BS.1770 integrated loudness, Tech 3342 loudness range)
 * in constant memory however long the meter runs: a histogram of 0.01 LU bins from the absolute
 * gate (-70 LUFS) up, each keeping its count and the exact sum of its blocks' energies. Sums
 * over whole bins are exact; only the one bin the relative gate falls in is taken or left whole
 * (0.01 LU of resolution, a tenth of the standards' tolerance).
 */
export const ABSOLUTE_GATE_LUFS = -70;
const BINS_PER_LU = 100;
const TOP_LUFS = 30;
const BINS = (TOP_LUFS - ABSOLUTE_GATE_LUFS) * BINS_PER_LU;

/** BS.1770: L = -0.691 + 10 log10(sum of weighted mean squares). */
export function energyToLufs(energy: number): number {
  return energy > 0 ? -0.691 + 10 * Math.log10(energy) : -Infinity;
}

export function lufsToEnergy(lufs: number): number {
  return 10 ** ((lufs + 0.691) / 10);
}

export class GatedHistogram {
  private readonly counts = new Float64Array(BINS);
  private readonly energies = new Float64Array(BINS);
  private total = 0;
  private totalEnergy = 0;
  /**
   * The occupied bins lie in [lo, hi): the sums below walk only those, since a live input reports
   * its integrated loudness and range 10 times a second and a programme fills a few hundred of
   * the 10,000 bins (a steady tone one or two).
   */
  private lo = BINS;
  private hi = 0;

  /** Adds one block by its weighted mean square; blocks under the absolute gate are not kept. */
  add(energy: number): void {
    const lufs = energyToLufs(energy);
    if (!(lufs >= ABSOLUTE_GATE_LUFS)) return;
    const bin = Math.min(BINS - 1, Math.floor((lufs - ABSOLUTE_GATE_LUFS) * BINS_PER_LU));
    this.counts[bin]!++;
    this.energies[bin]! += energy;
    if (bin < this.lo) this.lo = bin;
    if (bin >= this.hi) this.hi = bin + 1;
    this.total++;
    this.totalEnergy += energy;
  }

  reset(): void {
    this.counts.fill(0);
    this.energies.fill(0);
    this.total = 0;
    this.totalEnergy = 0;
    this.lo = BINS;
    this.hi = 0;
  }

  /** Blocks over the absolute gate. */
  get size(): number {
    return this.total;
  }

  /** The first bin at or above `relativeLu` below the absolute-gated mean (-1 when empty). */
  private relativeGateBin(relativeLu: number): number {
    if (this.total === 0) return -1;
    const threshold = energyToLufs(this.totalEnergy / this.total) + relativeLu;
    let bin = Math.floor((threshold - ABSOLUTE_GATE_LUFS) * BINS_PER_LU);
    if (bin < this.lo) return this.lo;
    if (bin >= BINS) bin = BINS - 1;
    const n = this.counts[bin]!;
    if (n > 0 && energyToLufs(this.energies[bin]! / n) < threshold) bin++;
    return bin;
  }

  /** Integrated loudness: the mean energy of the blocks passing both gates (BS.1770: -10 LU). */
  gatedMean(relativeLu: number): number {
    const from = this.relativeGateBin(relativeLu);
    if (from < 0) return -Infinity;
    let n = 0;
    let e = 0;
    for (let b = from; b < this.hi; b++) {
      n += this.counts[b]!;
      e += this.energies[b]!;
    }
    return n > 0 ? energyToLufs(e / n) : -Infinity;
  }

  /**
   * Loudness range (Tech 3342): the 95th minus the 10th percentile of the blocks passing both
   * gates (-20 LU), each percentile the element at round((n-1) p/100) of the sorted values.
   */
  range(relativeLu: number, low = 10, high = 95): number {
    const from = this.relativeGateBin(relativeLu);
    if (from < 0) return 0;
    let n = 0;
    for (let b = from; b < this.hi; b++) n += this.counts[b]!;
    if (n === 0) return 0;
    return this.valueAt(from, Math.round(((n - 1) * high) / 100)) - this.valueAt(from, Math.round(((n - 1) * low) / 100));
  }

  /** Loudness of the k-th (0-based) smallest block from bin `from` on: its bin's mean. */
  private valueAt(from: number, k: number): number {
    let seen = 0;
    for (let b = from; b < this.hi; b++) {
      seen += this.counts[b]!;
      if (seen > k) return energyToLufs(this.energies[b]! / this.counts[b]!);
    }
    return -Infinity;
  }
}
