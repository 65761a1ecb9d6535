// Runs inside the arm64 guest (qemu-system-aarch64 -M virt) against the kernel's driver of qemu's
// PL061 GPIO block, through the bundle's own GPIO addon. Prints `RESULT <key> <json>` lines for the
// host to check, `READY-FOR-EDGE` when line 3 (wired to qemu's power button) is watched, and
// `GUEST-DONE` at the end. The host presses the button (system_powerdown): a 100 ms pulse.
const base = '/opt/roombox/dist/firmware/hal/gpio/';
const { GpioChip, listChips } = await import(base + 'cdev/chip.js');
const { CdevBinding } = await import(base + 'cdev-binding.js');
const out = (key, value) => console.log(`RESULT ${key} ${JSON.stringify(value)}`);
const caught = (fn) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return [e.name, e.code, e.message];
  }
};
try {
  out('chips', listChips());
  const chip = GpioChip.open('/dev/gpiochip0');
  out('info', chip.info);
  const r = chip.request(0, { direction: 'out', output: 1 });
  out('line0', chip.lineInfo(0));
  out('get-at-request', r.get());
  r.set(0);
  out('get-after-set', r.get());
  out('busy', caught(() => chip.request(0, { direction: 'in' })));
  out('offset', caught(() => chip.request(8, { direction: 'in' })));
  r.close();
  out('line0-released', chip.lineInfo(0).used);
  const binding = new CdevBinding();
  out('bcm', caught(() => binding.open(17, { direction: 'out' })));
  out('name', caught(() => binding.open('GPIO17', { direction: 'out' })));
  const edge = chip.request(3, { direction: 'in', edge: 'both' });
  out('line3', chip.lineInfo(3));
  const events = await new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`edges: ${got.length} within 120 s`)), 120_000);
    const stop = edge.onEdge((e) => {
      got.push(e);
      if (got.length < 2) return;
      clearTimeout(timer);
      stop();
      resolve(got);
    });
    console.log('READY-FOR-EDGE');
  });
  out('edges', events.map((e) => [e.offset, e.edge, e.value, e.lineSeqno]));
  out('pulse-ms', Number(events[1].timestampNs - events[0].timestampNs) / 1e6);
  edge.close();
  chip.close();
  console.log('GUEST-DONE');
} catch (err) {
  console.log(`GUEST-ERROR ${err.stack}`);
  process.exitCode = 1;
}
