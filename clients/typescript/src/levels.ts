/**
 * Level of PCM16LE audio in dBFS: the RMS of the samples relative to full scale (32768), so a
 * full-scale square wave reads 0 dBFS and a full-scale sine −3.01 dBFS. Silence is −Infinity.
 */
export function pcm16Dbfs(pcm: Buffer | Uint8Array): number {
  const meter = new LevelMeter();
  meter.push(pcm);
  return meter.read().dbfs;
}

export interface Level {
  /** RMS level in dBFS (−Infinity for silence or no samples). */
  dbfs: number;
  /** Peak absolute sample in dBFS. */
  peakDbfs: number;
  /** Samples measured (all channels). */
  samples: number;
}

/**
 * Accumulates PCM16LE across buffers of any size (a sample split between two buffers is
 * joined) and reports the level of everything pushed since the last read().
 */
export class LevelMeter {
  #sumSquares = 0;
  #peak = 0;
  #samples = 0;
  #carry: number | undefined;

  push(pcm: Buffer | Uint8Array): void {
    let i = 0;
    if (this.#carry !== undefined && pcm.length > 0) {
      this.#add(((pcm[0] as number) << 8) | this.#carry);
      this.#carry = undefined;
      i = 1;
    }
    const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    for (; i + 1 < pcm.length; i += 2) {
      this.#add(view.getUint16(i, true));
    }
    if (i < pcm.length) this.#carry = pcm[i] as number;
  }

  /** The level since the last read(), then starts a new window (a split sample carries over). */
  read(): Level {
    const level: Level = {
      dbfs: this.#samples === 0 ? Number.NEGATIVE_INFINITY : toDb(Math.sqrt(this.#sumSquares / this.#samples)),
      peakDbfs: this.#samples === 0 ? Number.NEGATIVE_INFINITY : toDb(this.#peak),
      samples: this.#samples,
    };
    this.#sumSquares = 0;
    this.#peak = 0;
    this.#samples = 0;
    return level;
  }

  #add(unsigned: number): void {
    const sample = (unsigned > 0x7fff ? unsigned - 0x10000 : unsigned) / 32768;
    this.#sumSquares += sample * sample;
    const abs = Math.abs(sample);
    if (abs > this.#peak) this.#peak = abs;
    this.#samples += 1;
  }
}

function toDb(amplitude: number): number {
  return amplitude === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(amplitude);
}

/** Formats a dBFS value for display: one decimal, "-inf" for silence. */
export function formatDbfs(dbfs: number): string {
  return Number.isFinite(dbfs) ? dbfs.toFixed(1) : '-inf';
}
