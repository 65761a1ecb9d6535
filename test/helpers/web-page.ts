import type { Page } from 'playwright-core';

/** Waits until every meter of `input` shows a peak (aria-valuenow, dBFS) that `ok` accepts. */
export async function waitForMeters(page: Page, input: string, ok: { min: number; max: number }, timeoutMs = 15_000): Promise<number[]> {
  await page.waitForFunction(
    ({ input, min, max }) => {
      const meters = [...document.querySelectorAll('[role=meter]')].filter((m) => (m.getAttribute('aria-label') ?? '').includes(input));
      return meters.length > 0 && meters.every((m) => {
        const v = Number(m.getAttribute('aria-valuenow'));
        return v >= min && v <= max;
      });
    },
    { input, ...ok },
    { timeout: timeoutMs },
  );
  return page.$$eval('[role=meter]', (ms, input) => ms.filter((m) => (m.getAttribute('aria-label') ?? '').includes(input)).map((m) => Number(m.getAttribute('aria-valuenow'))), input);
}

/** Runs a line in the page's console and resolves with the output block it printed. */
export async function runInConsole(page: Page, line: string, expect: RegExp, timeoutMs = 15_000): Promise<string> {
  await page.getByLabel('Command', { exact: true }).fill(line);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const out = page.getByLabel('Console output');
  await page.waitForFunction(
    ({ line, src, flags }) => {
      const text = document.querySelector('.out')?.textContent ?? '';
      const at = text.lastIndexOf(`> ${line}`);
      return at >= 0 && new RegExp(src, flags).test(text.slice(at + line.length + 2));
    },
    { line, src: expect.source, flags: expect.flags },
    { timeout: timeoutMs },
  );
  const text = (await out.textContent()) ?? '';
  return text.slice(text.lastIndexOf(`> ${line}`) + line.length + 2);
}
