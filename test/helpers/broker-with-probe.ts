import { after, before } from 'node:test';
import { Mosquitto, type MosquittoOptions } from './mosquitto.js';
import { MqttProbe } from './mqtt-probe.js';

export interface BrokerWithProbe {
  readonly broker: Mosquitto;
  /** Subscribed to the topics given, connected in the suite's `before` hook. */
  readonly probe: MqttProbe;
}

/**
 * The suite's real mosquitto and its probe: started in a `before` hook, closed in an `after`
 * hook, both bounded. Call it at the top of a `describe` (or of a file).
 */
export function brokerWithProbe(topics: string[], opts: MosquittoOptions = {}): BrokerWithProbe {
  const broker = new Mosquitto(opts);
  let probe: MqttProbe | undefined;
  before(async () => {
    await broker.start();
    probe = await MqttProbe.connect(broker.url, topics);
  }, { timeout: 180_000 });
  after(async () => {
    await probe?.close();
    await broker.dispose();
  }, { timeout: 180_000 });
  return {
    broker,
    get probe(): MqttProbe {
      if (!probe) throw new Error('the probe connects in the before hook: use it inside a test');
      return probe;
    },
  };
}
