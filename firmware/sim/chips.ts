/**
 * Simulated amplifier chips that model their registers (not just remember values): paging,
 * reset defaults, read-only and write-only behaviour, fault bits.
 */
export interface SimChip {
  readonly kind: string;
  read(reg: number): number;
  write(reg: number, value: number): void;
  /** A bare data byte (no register). */
  send(value: number): void;
  /** What the chip is doing, for `gpio --json` and tests. */
  describe(): Record<string, unknown>;
}

const errno = (code: string) => Object.assign(new Error(code), { code });

/** TI PCM512x / TAS575x: paged registers, standby, soft mute, digital volume 0x3D/0x3E. */
export class SimPcm512x implements SimChip {
  readonly kind = 'pcm512x';
  private readonly pages = new Map<number, Uint8Array>();
  page = 0;

  constructor() {
    this.reset();
  }

  private reset(): void {
    const p0 = new Uint8Array(256);
    p0[0x02] = 0x00;
    p0[0x3d] = 0x30;
    p0[0x3e] = 0x30;
    p0[0x3f] = 0x22;
    p0[0x41] = 0x07;
    this.pages.set(0, p0);
    for (const p of [1, 44, 253]) this.pages.set(p, new Uint8Array(256));
  }

  private regs(): Uint8Array {
    let r = this.pages.get(this.page);
    if (!r) this.pages.set(this.page, (r = new Uint8Array(256)));
    return r;
  }

  read(reg: number): number {
    if (reg === 0x00) return this.page;
    if (this.page === 0 && reg === 0x6c) {
      // Analog-mute monitor (read-only): bits follow the mute requests once the ramp is done.
      const mute = this.regs()[0x03]!;
      return ((mute & 0x10) >> 4) | ((mute & 0x01) << 4);
    }
    return this.regs()[reg]!;
  }

  write(reg: number, value: number): void {
    if (reg === 0x00) {
      this.page = value;
      return;
    }
    if (this.page === 0 && reg === 0x6c) return;
    if (this.page === 0 && reg === 0x01 && value & 0x01) {
      const page = this.page;
      this.reset();
      this.page = page;
      this.regs()[0x01] = 0; // RSTR/RSTM clear themselves
      return;
    }
    this.regs()[reg] = value;
  }

  send(): void {
    throw errno('EIO');
  }

  private p0(reg: number): number {
    return this.pages.get(0)![reg]!;
  }
  get standby(): boolean {
    return (this.p0(0x02) & 0x10) !== 0;
  }
  get powerdown(): boolean {
    return (this.p0(0x02) & 0x01) !== 0;
  }
  get muted(): { left: boolean; right: boolean } {
    return { left: (this.p0(0x03) & 0x10) !== 0, right: (this.p0(0x03) & 0x01) !== 0 };
  }
  /** Digital volume in dB per channel; null for 0xFF (mute). */
  get volumeDb(): { left: number | null; right: number | null } {
    const db = (v: number) => (v === 0xff ? null : 24 - 0.5 * v);
    return { left: db(this.p0(0x3d)), right: db(this.p0(0x3e)) };
  }

  describe() {
    return { page: this.page, standby: this.standby, powerdown: this.powerdown, mute: this.muted, volume_regs: [this.p0(0x3d), this.p0(0x3e)], volume_db: this.volumeDb };
  }
}

/** TI TAS5713: error status, shutdown bit in system control 2, soft mute, master volume. */
export class SimTas5713 implements SimChip {
  readonly kind = 'tas5713';
  private readonly regs = new Uint8Array(256);
  constructor() {
    this.regs[0x05] = 0x40; // in shutdown after reset
    this.regs[0x07] = 0xff; // master volume: mute
    this.regs[0x02] = 0x00;
  }
  read(reg: number): number {
    return this.regs[reg]!;
  }
  write(reg: number, value: number): void {
    if (reg === 0x02) {
      this.regs[0x02] = 0; // writing clears the error latches
      return;
    }
    this.regs[reg] = value;
  }
  send(): void {
    throw errno('EIO');
  }
  /** Latches an error bit in 0x02 (e.g. 0x02 over-temperature). */
  raiseError(bits: number): void {
    this.regs[0x02]! |= bits;
  }
  get shutdown(): boolean {
    return (this.regs[0x05]! & 0x40) !== 0;
  }
  get volumeDb(): number | null {
    const v = this.regs[0x07]!;
    return v === 0xff ? null : 24 - 0.5 * v;
  }
  describe() {
    return { shutdown: this.shutdown, soft_mute: this.regs[0x06], master_volume: this.regs[0x07], volume_db: this.volumeDb, errors: this.regs[0x02] };
  }
}

/** Maxim MAX9744: write-only; a bare byte 00vvvvvv sets the volume (0 = mute); reads fail. */
export class SimMax9744 implements SimChip {
  readonly kind = 'max9744';
  volume = 40;
  read(): number {
    throw errno('EIO');
  }
  write(): void {
    throw errno('EIO');
  }
  send(value: number): void {
    if ((value & 0xc0) === 0) this.volume = value & 0x3f;
    else if (value === 0xc4) this.volume = Math.min(63, this.volume + 1);
    else if (value === 0xc5) this.volume = Math.max(0, this.volume - 1);
  }
  describe() {
    return { volume: this.volume };
  }
}

/** TI TPA2016: setup register with enables, software shutdown and fault bits; gain in 0x05. */
export class SimTpa2016 implements SimChip {
  readonly kind = 'tpa2016';
  private readonly regs = new Uint8Array(8);
  constructor() {
    this.regs[0x01] = 0xc3;
    this.regs[0x05] = 0x06;
  }
  read(reg: number): number {
    if (reg > 7) throw errno('EIO');
    return this.regs[reg]!;
  }
  write(reg: number, value: number): void {
    if (reg > 7) throw errno('EIO');
    if (reg === 0x01) {
      // Fault bits are cleared by writing 0; writing 1 does not set them.
      const faults = this.regs[0x01]! & 0x1c & value;
      this.regs[0x01] = (value & ~0x1c) | faults;
      return;
    }
    this.regs[reg] = value;
  }
  send(): void {
    throw errno('EIO');
  }
  /** Sets fault bits (0x10 R_FAULT, 0x08 L_FAULT, 0x04 THERMAL), as the chip does on a short. */
  raiseFault(bits: number): void {
    this.regs[0x01]! |= bits & 0x1c;
  }
  get gainDb(): number {
    const v = this.regs[0x05]! & 0x3f;
    return v & 0x20 ? v - 64 : v;
  }
  describe() {
    const s = this.regs[0x01]!;
    return { setup: s, enabled: (s & 0xc0) === 0xc0 && !(s & 0x20), faults: s & 0x1c, gain_db: this.gainDb };
  }
}
