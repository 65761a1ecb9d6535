/** One second-order section, normalised so a0 = 1: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/*
 * BS.1770 gives the two K-weighting stages as coefficients at 48 kHz only and asks other rates for
 * "the same frequency response". These are the analogue prototypes those 48 kHz coefficients come
 * from (centre frequency, gain and Q fitted to the published values); mapped back through the
 * bilinear transform at 48 kHz they give the published coefficients to 1e-9, and at any other rate
 * they give the same curve.
 */
const SHELF_HZ = 1681.974450955533;
const SHELF_GAIN_DB = 3.999843853973347;
const SHELF_Q = 0.7071752369554196;
/** Exponent that places the shelf's mid-band gain where the published filter has it. */
const SHELF_MID_EXPONENT = 0.4996667741545416;
const HIGHPASS_HZ = 38.13547087602444;
const HIGHPASS_Q = 0.5003270373238773;

/** Stage 1: the high shelf (about +4 dB above 2 kHz) that models the head. */
export function shelfStage(rate: number): Biquad {
  const k = Math.tan((Math.PI * SHELF_HZ) / rate);
  const vh = 10 ** (SHELF_GAIN_DB / 20);
  const vb = vh ** SHELF_MID_EXPONENT;
  const a0 = 1 + k / SHELF_Q + k * k;
  return {
    b0: (vh + (vb * k) / SHELF_Q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / SHELF_Q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / SHELF_Q + k * k) / a0,
  };
}

/** Stage 2: the RLB high-pass (about 38 Hz). Its numerator is 1, -2, 1 as published. */
export function highpassStage(rate: number): Biquad {
  const k = Math.tan((Math.PI * HIGHPASS_HZ) / rate);
  const a0 = 1 + k / HIGHPASS_Q + k * k;
  return { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / HIGHPASS_Q + k * k) / a0 };
}

/** BS.1770 channel weights by position: 1.0 for L, R, C; 0 for the LFE; 1.41 for the surrounds. */
export function channelWeights(channels: number): Float64Array {
  const w = new Float64Array(channels).fill(1);
  // WAV / ALSA order: L R C LFE Ls Rs (5.1) or L R C Ls Rs (5.0).
  if (channels === 6) w.set([1, 1, 1, 0, 1.41, 1.41]);
  else if (channels === 5) w.set([1, 1, 1, 1.41, 1.41]);
  return w;
}
