// The reference of bench/arm64.ts inside the VM: a bare mqtt.js client from the box's own
// node_modules that connects, publishes a retained `online` (with an `offline` will, as the box
// has), and then one small message a second, the floor for "a Node process that speaks MQTT".
import mqtt from '/opt/roombox/node_modules/mqtt/build/index.js';

const status = `roombox/${process.env.ID}/status`;
const c = mqtt.connect(process.env.URL, { will: { topic: status, payload: 'offline', retain: true, qos: 1 } });
c.on('connect', () => {
  c.publish(status, 'online', { retain: true, qos: 1 });
  setInterval(() => c.publish(`roombox/${process.env.ID}/telemetry`, JSON.stringify({ t: Date.now() }), { qos: 1 }), 1000);
});
