/** Typed I2C failures, each saying what a field engineer should check. */
export class I2cError extends Error {
  constructor(
    message: string,
    readonly bus: number,
    readonly addr: number | undefined,
    readonly code: string,
  ) {
    super(message);
  }
}

/** /dev/i2c-<bus> does not exist (ENOENT): I2C not enabled, or the wrong bus number. */
export class I2cBusMissingError extends I2cError {}
/** A kernel driver owns the address (EBUSY): use the ALSA mixer, not raw I2C. */
export class I2cAddressBusyError extends I2cError {}
/** Nothing acknowledged (ENXIO, EREMOTEIO, ENODEV) or the transfer failed (EIO). */
export class I2cNoAckError extends I2cError {}

const hex = (a: number) => `0x${a.toString(16).padStart(2, '0')}`;

/** Errno codes after which one more attempt can succeed (noise, a chip still starting up). */
export const RETRYABLE = new Set(['EIO', 'ENXIO', 'EREMOTEIO', 'EAGAIN', 'ETIMEDOUT']);

/** Maps a binding's error (Node errno code) to a typed I2C error. */
export function mapI2cError(err: unknown, bus: number, addr?: number): Error {
  if (err instanceof I2cError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const at = addr === undefined ? `bus ${bus}` : `${hex(addr)} on bus ${bus}`;
  switch (code) {
    case 'ENOENT':
      return new I2cBusMissingError(`I2C bus ${bus} does not exist (/dev/i2c-${bus} missing): enable I2C (dtparam=i2c_arm=on) or check the bus number`, bus, addr, code);
    case 'EBUSY':
      return new I2cAddressBusyError(`I2C ${at} is held by a kernel driver (EBUSY): the codec's overlay owns it, use the alsa-mixer amp in the profile`, bus, addr, code);
    case 'EIO':
    case 'ENXIO':
    // The kernel's i2c-stub (and an adapter whose device is gone) reports an empty address so.
    case 'ENODEV':
    case 'EREMOTEIO':
    case 'ETIMEDOUT':
    case 'EAGAIN':
      return new I2cNoAckError(`no answer from I2C ${at} (${code}): check wiring, power and the address`, bus, addr, code);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
