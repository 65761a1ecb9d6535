/** What a publisher needs of the broker link: whether it is up, and a publish acknowledged at QoS 1. */
export interface PublishPort {
  readonly connected: boolean;
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
}
