/** Topic names of the contract (section 3), built from the prefix and box id. */
export class Topics {
  readonly base: string;
  constructor(prefix: string, id: string, readonly haPrefix: string) {
    this.base = `${prefix}/${id}`;
  }
  get status() { return `${this.base}/status`; }
  get info() { return `${this.base}/info`; }
  get event() { return `${this.base}/event`; }
  get telemetry() { return `${this.base}/telemetry`; }
  get request() { return `${this.base}/request`; }
  get response() { return `${this.base}/response`; }
  get error() { return `${this.base}/error`; }
  zoneState(zone: string) { return `${this.base}/zone/${zone}/state`; }
  inputState(input: string) { return `${this.base}/input/${input}/state`; }
  inputLevels(input: string) { return `${this.base}/input/${input}/levels`; }
  /** Topic under the box, e.g. sub('zone/+/set'). */
  sub(rest: string) { return `${this.base}/${rest}`; }
  haDevice(id: string) { return `${this.haPrefix}/device/${id}/config`; }
  get haStatus() { return `${this.haPrefix}/status`; }
}
