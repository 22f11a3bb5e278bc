/**
 * sfc32 seeded from a cyrb128 hash of a text key: 128 bits of state, fast in JS and good enough for
 * synthetic prices. Not for anything that must be unpredictable.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  /** Box-Muller makes normals in pairs; the second one waits here. */
  #spareNormal = 0;
  #hasSpare = false;

  constructor(key: string) {
    [this.#a, this.#b, this.#c, this.#d] = cyrb128(key);
    // The first outputs of a freshly seeded sfc32 are still correlated with the seed.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in the open interval (0, 1), so its logarithm is always finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** A standard normal draw. */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spareNormal;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.#spareNormal = radius * Math.sin(angle);
    this.#hasSpare = true;
    return radius * Math.cos(angle);
  }

  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(this.uniform());
  }
}

/** cyrb128: spreads a text key over four 32-bit words, so nearby keys give unrelated streams. */
function cyrb128(key: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < key.length; i++) {
    const k = key.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
