/**
 * One concern of the box (the Zigbee2MQTT pattern): the constructor only stores its
 * dependencies; start() acquires resources and subscribes, stop() releases them.
 */
export interface Extension {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}
