import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCards, parseUsbId, readCards } from '../../firmware/asound/cards.js';
import { pcmCard, resolveInput, usbIdMatches } from '../../firmware/capture/match.js';
import { SimProcTree } from '../../firmware/sim/proc-tree.js';

const PI = readFileSync(join(import.meta.dirname, 'fixtures', 'cards-pi.txt'), 'utf8');

describe('/proc/asound/cards parser', { timeout: 60_000 }, () => {
  it('reads built-in, HAT and USB cards with their long names', () => {
    const cards = parseCards(PI);
    assert.deepEqual(
      cards.map((c) => [c.index, c.id, c.driver, c.name]),
      [
        [0, 'Headphones', 'bcm2835_headpho', 'bcm2835 Headphones'],
        [1, 'vc4hdmi0', 'vc4-hdmi', 'vc4-hdmi-0'],
        [2, 'sndrpihifiberry', 'HifiberryDacp', 'snd_rpi_hifiberry_dacplus'],
        [3, 'Device', 'USB-Audio', 'USB Audio Device'],
        [4, 'CODEC', 'USB-Audio', 'USB Audio CODEC'],
      ],
    );
    assert.equal(cards[3]!.longName, 'C-Media Electronics Inc. USB Audio Device at usb-0000:01:00.0-1.3, full speed');
  });

  it('reads no cards from an empty list or garbage', () => {
    assert.deepEqual(parseCards('--- no soundcards ---\n'), []);
    assert.deepEqual(parseCards(''), []);
    assert.deepEqual(parseCards('\u0000\u0001 nonsense [\n'), []);
  });

  it('reads usbid in the kernel format only', () => {
    assert.equal(parseUsbId('0D8C:0014\n'), '0d8c:0014');
    assert.equal(parseUsbId('0d8c:14'), undefined);
    assert.equal(parseUsbId(''), undefined);
  });
});

describe('input matching', { timeout: 60_000 }, () => {
  const tree = new SimProcTree(mkdtempSync(join(tmpdir(), 'roombox-cards-')));
  tree.addCard({ index: 0, id: 'Headphones', driver: 'bcm2835_headpho', name: 'bcm2835 Headphones', longName: 'bcm2835 Headphones', playback: [0] });
  tree.addCard({ index: 2, id: 'sndrpihifiberry', driver: 'HifiberryDacp', name: 'snd_rpi_hifiberry_dacplus', longName: 'x', playback: [0], capture: [0] });
  tree.addCard({ index: 3, id: 'Device', driver: 'USB-Audio', name: 'USB Audio Device', longName: 'x', usbId: '0d8c:0014', capture: [0] });
  tree.addCard({ index: 4, id: 'CODEC', driver: 'USB-Audio', name: 'USB Audio CODEC', longName: 'x', usbId: '08bb:2902', playback: [0], capture: [0] });

  it('reads cards with usb ids and capture devices from a tree', () => {
    const cards = readCards(tree.root);
    assert.deepEqual(cards.map((c) => [c.index, c.usbId ?? null, c.capture]), [[0, null, []], [2, null, [0]], [3, '0d8c:0014', [0]], [4, '08bb:2902', [0]]]);
  });

  it('matches by card id, USB id, vendor wildcard, any USB card, or a PCM name', () => {
    const cards = readCards(tree.root);
    assert.deepEqual(resolveInput({ cardId: 'CODEC' }, cards), { pcm: 'plughw:CARD=CODEC,DEV=0', card: 4, cardId: 'CODEC', device: 0 });
    assert.equal(resolveInput({ usbId: '08bb:2902' }, cards)?.card, 4);
    assert.equal(resolveInput({ usbId: '0d8c:*' }, cards)?.card, 3);
    assert.equal(resolveInput({ anyUsb: true }, cards)?.card, 3);
    assert.equal(resolveInput({ cardId: 'Headphones' }, cards), undefined, 'a card without a capture device is no input');
    assert.equal(resolveInput({ cardId: 'CODEC', device: 1 }, cards), undefined);
    assert.deepEqual(resolveInput({ pcm: 'dsnoop:CARD=CODEC,DEV=0' }, cards), { pcm: 'dsnoop:CARD=CODEC,DEV=0', card: 4, cardId: 'CODEC', device: 0 });
    assert.equal(resolveInput({ pcm: 'hw:2,0' }, cards)?.card, 2);
    assert.equal(resolveInput({ pcm: 'hw:9,0' }, cards), undefined);
    assert.deepEqual(resolveInput({ pcm: 'roombox_test' }, cards), { pcm: 'roombox_test', device: 0 }, 'a software PCM is always there');
  });

  it('follows a re-plug to a new card number by USB id', () => {
    tree.removeCard(3);
    assert.equal(resolveInput({ usbId: '0d8c:0014' }, readCards(tree.root)), undefined);
    tree.addCard({ index: 5, id: 'Device', driver: 'USB-Audio', name: 'USB Audio Device', longName: 'x', usbId: '0d8c:0014', capture: [0] });
    assert.equal(resolveInput({ usbId: '0d8c:0014' }, readCards(tree.root))?.card, 5);
    rmSync(tree.root, { recursive: true, force: true });
  });

  it('knows USB id patterns and PCM card names', () => {
    assert.ok(usbIdMatches('0d8c:*', '0d8c:0014'));
    assert.ok(!usbIdMatches('0d8c:0013', '0d8c:0014'));
    assert.equal(pcmCard('plughw:CARD=Device,DEV=0'), 'Device');
    assert.equal(pcmCard('hw:1'), 1);
    assert.equal(pcmCard('default'), undefined);
  });
});
