// A small seeded PRNG (mulberry32) for the synthetic stream: fast, 32-bit state, and the same
// sequence on every platform, so a seed names a stream. Not for anything secret.

/** Mixes several integers into one well-spread 32-bit seed (murmur3 finalizer per part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** FNV-1a over a string: a stable 32-bit hash for naming things without exposing them. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Random {
  private state: number;
  /** Box-Muller yields two normals; the second is kept for the next call. */
  private spareGaussian = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** uniform in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** normal with the given mean and standard deviation. */
  gaussian(mean = 0, sd = 1): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return mean + sd * this.spareGaussian;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * v;
    this.spareGaussian = radius * Math.sin(angle);
    this.hasSpare = true;
    return mean + sd * radius * Math.cos(angle);
  }

  /** normal, clamped into [min, max]: for durations that must stay in a human range. */
  clampedGaussian(mean: number, sd: number, min: number, max: number): number {
    const value = this.gaussian(mean, sd);
    return value < min ? min : value > max ? max : value;
  }

  /** index into `weights`, chosen with probability proportional to each weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
