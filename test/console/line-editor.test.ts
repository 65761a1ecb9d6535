import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor, MAX_LINE } from '../../firmware/console/line-editor.js';

/** What a terminal shows after the echo: printable text, `\b` moves left, a space overwrites. */
function screen(echo: string): string {
  const cells: string[] = [];
  let col = 0;
  for (const ch of echo) {
    if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch === '\r' || ch === '\n') continue;
    else cells[col++] = ch;
  }
  return cells.slice(0, col).join('').trimEnd();
}

function type(...input: (string | number[])[]): { lines: string[]; echo: string; notices: string[] } {
  const lines: string[] = [];
  const notices: string[] = [];
  let echo = '';
  const editor = new LineEditor({ echo: (t) => (echo += t), line: (t) => lines.push(t), notice: (k) => notices.push(k) }, true);
  for (const part of input) editor.feed(typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part));
  return { lines, echo, notices };
}

describe('console line editor', { timeout: 10_000 }, () => {
  it('erases a whole multi-byte character with one DEL, and the screen agrees', () => {
    const r = type('versio', 'é', '\x7f', 'n');
    assert.equal(r.echo, 'versioé\b \bn');
    assert.equal(screen(r.echo), 'version');
    assert.deepEqual(type('versioé\x7fn\r').lines, ['version']);
    for (const char of ['é', '€', '😀']) {
      const typed = type(`ab${char}\x08\x08c\r`);
      assert.deepEqual(typed.lines, ['ac'], `${char} erased as one character`);
      assert.equal(screen(typed.echo), 'ac');
    }
  });

  it('keeps a character sent byte by byte whole, and echoes it once complete', () => {
    const r = type([0x61, 0xe2], [0x82], [0xac], '\r');
    assert.deepEqual(r.lines, ['a€']);
    assert.equal(r.echo, 'a€\r\n');
  });

  it('drops bytes that are no character, so the line holds only what was echoed', () => {
    // A stray continuation byte, an overlong '/', a UTF-16 surrogate, a byte no character starts with,
    // and a character cut short by the next one.
    const r = type([0x61, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xe2, 0x82, 0x62], '\r');
    assert.deepEqual(r.lines, ['ab']);
    assert.equal(r.echo, 'ab\r\n');
    const erased = type([0x61, 0x62, 0xc3], '\x7f\r');
    assert.deepEqual(erased.lines, ['a'], 'DEL after a cut-short character erases the last one shown');
    assert.equal(screen(erased.echo), 'a');
  });

  it('refuses a line over the limit counted in bytes, and Ctrl-C starts afresh', () => {
    assert.deepEqual(type('é'.repeat(MAX_LINE / 2), '\r').lines, ['é'.repeat(MAX_LINE / 2)]);
    const over = type('é'.repeat(MAX_LINE / 2), 'x\r', 'version\r');
    assert.deepEqual(over.notices, ['too-long']);
    assert.deepEqual(over.lines, ['version']);
    const cancelled = type('zone liv', '\x03', 'version\r');
    assert.deepEqual(cancelled.lines, ['version']);
    assert.deepEqual(cancelled.notices, ['cancelled']);
  });
});
