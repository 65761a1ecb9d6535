import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file so that a power cut leaves either the old or the new content: a temporary file
 * beside it, fsynced, renamed over it, the file fsynced again under its new name, and the
 * directory fsynced so the rename itself lasts.
 */
export async function writeDurably(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
    await rename(tmp, path);
    // vfat (autoboot.txt's partition) writes the entry a rename reuses with the renamed file, not
    // with the directory: until the file is synced again, the card's entry for the name still
    // points at the replaced file's clusters, which the directory's fsync writes out as free.
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDir(dirname(path));
}

/** Removes a file and makes the removal last. */
export async function removeDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some file systems (vfat on some kernels) refuse fsync on a directory; the rename is done.
  } finally {
    await d.close();
  }
}
