import type { BoardProfile } from '../board/profile.js';
import { SimProcTree, type SimCard } from './proc-tree.js';

/** The cards the sim board's profile implies: one per zone playback card, one per capture input. */
export function simCards(profile: BoardProfile): SimCard[] {
  const cards: SimCard[] = [];
  const used = new Set<number>();
  for (const z of profile.zones) {
    const index = typeof z.playback.card === 'number' ? z.playback.card : nextFree(used);
    if (used.has(index)) continue;
    used.add(index);
    const id = typeof z.playback.card === 'string' ? z.playback.card : `SimAmp${index}`;
    cards.push({ index, id, driver: 'sim-amp', name: `Sim ${z.label ?? z.name}`, longName: `Simulated amplifier for zone ${z.name}`, playback: [z.playback.device] });
  }
  for (const input of profile.inputs) {
    if (input.match.pcm !== undefined) continue;
    const index = nextFree(used);
    used.add(index);
    const usbId = input.match.usbId?.replace('*', '0001') ?? (input.match.anyUsb ? '1234:5678' : undefined);
    cards.push({
      index,
      id: input.match.cardId ?? 'Device',
      driver: usbId ? 'USB-Audio' : 'sim-capture',
      name: usbId ? 'USB Audio Device' : `Sim ${input.name}`,
      longName: usbId ? `USB Audio Device at usb-0000:01:00.0-1.${index}, full speed` : `Simulated capture for input ${input.name}`,
      usbId,
      capture: [input.match.device ?? 0],
    });
  }
  return cards;
}

export function createSimProcTree(profile: BoardProfile): SimProcTree {
  const tree = new SimProcTree();
  for (const card of simCards(profile)) tree.addCard(card);
  return tree;
}

function nextFree(used: Set<number>): number {
  let i = 0;
  while (used.has(i)) i++;
  return i;
}
