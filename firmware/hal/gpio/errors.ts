/** Typed GPIO failures, each saying what a field engineer should check. */
export class GpioError extends Error {
  constructor(
    message: string,
    /** Node's errno code when the kernel refused (EBUSY, ENOENT, ...), else a name of ours. */
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The GPIO chip does not exist or is not a GPIO chip (wrong path, overlay not loaded). */
export class GpioChipNotFoundError extends GpioError {
  constructor(
    readonly chip: string,
    detail: string,
    code = 'ENOENT',
  ) {
    super(`GPIO chip ${chip} not found: ${detail}`, code);
  }
}

/** No chip has a line by that name, or the offset is beyond the chip's lines. */
export class GpioLineNotFoundError extends GpioError {
  constructor(
    readonly line: number | string,
    detail: string,
  ) {
    super(`GPIO line ${typeof line === 'string' ? `'${line}'` : line} not found: ${detail}`, 'ENOENT');
  }
}

/** Another consumer (a kernel driver, another program, or this box twice) holds the line. */
export class GpioLineBusyError extends GpioError {
  constructor(
    readonly line: number | string,
    readonly chip: string,
    /** The holder's consumer label as the kernel reports it ('' when it gave none). */
    readonly holder: string,
  ) {
    super(
      `GPIO line ${typeof line === 'string' ? `'${line}'` : line} on ${chip} is busy: held by ${holder ? `'${holder}'` : 'a consumer that gave no label'} (free it, or fix the profile's line)`,
      'EBUSY',
    );
  }
}

/** Options that cannot be requested (an edge on an output, a level other than 0 or 1, ...). */
export class GpioConfigError extends GpioError {
  constructor(message: string) {
    super(message, 'EINVAL');
  }
}

/** The backend cannot run here (no character device, addon not built, no sysfs). */
export class GpioBackendError extends GpioError {
  constructor(message: string) {
    super(message, 'ENODEV');
  }
}
