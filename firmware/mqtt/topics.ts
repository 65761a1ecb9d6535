import { topicOf, type Topic } from '../api/topics.js';

/** Topic names, built from the prefix and box id; each knows its payload type (firmware/api). */
export class Topics {
  readonly base: string;
  constructor(prefix: string, id: string, readonly haPrefix: string) {
    this.base = `${prefix}/${id}`;
  }
  get status() { return topicOf(this.base, 'status'); }
  get info() { return topicOf(this.base, 'info'); }
  get diagnostics() { return topicOf(this.base, 'diagnostics'); }
  get event() { return topicOf(this.base, 'event'); }
  get telemetry() { return topicOf(this.base, 'telemetry'); }
  get response() { return topicOf(this.base, 'response'); }
  get error() { return topicOf(this.base, 'error'); }
  get update() { return topicOf(this.base, 'update'); }
  get request() { return `${this.base}/request`; }
  zoneState(zone: string) { return topicOf(this.base, 'zoneState', { zone }); }
  inputState(input: string) { return topicOf(this.base, 'inputState', { input }); }
  inputLevels(input: string) { return topicOf(this.base, 'inputLevels', { input }); }
  zoneAlarm(zone: string) { return topicOf(this.base, 'zoneAlarm', { zone }); }
  inputAlarm(input: string) { return topicOf(this.base, 'inputAlarm', { input }); }
  inputPeak(input: string) { return topicOf(this.base, 'inputPeak', { input }); }
  /** Topic under the box, e.g. sub('zone/+/set'). */
  sub(rest: string) { return `${this.base}/${rest}`; }
  haDevice(id: string) { return `${this.haPrefix}/device/${id}/config`; }
  get haStatus() { return `${this.haPrefix}/status`; }
}

export type { Topic };
