/**
 * The LED matrix through the kernel: the `rpisense-fb` framebuffer (128 bytes, RGB565) or the
 * newer `sensehat-display` misc device (192 bytes). Whole frames, one positional write each.
 */
import { constants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Discovery } from './discover';
import { fileProblem } from './discover';
import { FB_BYTES, MISC_BYTES, packFramebuffer, packMisc } from './frame';
import type { DisplayWriter, Image, Problem, Rotation } from './interface';

export type OpenFile = (file: string, flags: number) => Promise<fsp.FileHandle>;

export const defaultOpen: OpenFile = (file, flags) => fsp.open(file, flags);

export class DisplayError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.text);
  }
}

async function sysText(dir: string | undefined, name: string): Promise<string | undefined> {
  if (!dir) return undefined;
  try {
    return (await fsp.readFile(path.join(dir, name), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * Checks the size: a regular file (the simulated board) must have exactly the frame's bytes; a
 * real framebuffer must say 8,8 and 16 bits per pixel in sysfs.
 */
async function checkSize(fh: fsp.FileHandle, root: string, dev: NonNullable<Discovery['display']>, bytes: number): Promise<void> {
  const st = await fh.stat();
  const shown = '/' + path.relative(root, dev.path);
  if (st.isFile() && st.size !== bytes) {
    throw new DisplayError({ code: 'size', text: `${shown} has ${st.size} bytes, not the ${bytes} of an 8×8 Sense HAT display` });
  }
  if (!st.isFile() && dev.kind === 'fb') {
    const size = await sysText(dev.sysDir, 'virtual_size');
    const bpp = await sysText(dev.sysDir, 'bits_per_pixel');
    if ((size !== undefined && size !== '8,8') || (bpp !== undefined && bpp !== '16')) {
      throw new DisplayError({ code: 'size', text: `${shown} is ${size ?? '?'} at ${bpp ?? '?'} bpp, not 8,8 at 16 bpp` });
    }
  }
}

export class KernelDisplay implements DisplayWriter {
  private fh: fsp.FileHandle | undefined;
  private ino = 0;

  constructor(
    private readonly root: string,
    private readonly dev: NonNullable<Discovery['display']>,
    private readonly open: OpenFile = defaultOpen,
  ) {}

  get path(): string {
    return this.dev.path;
  }

  private get bytes(): number {
    return this.dev.kind === 'fb' ? FB_BYTES : MISC_BYTES;
  }

  /** True while the open handle still is the file at the path (a replaced or removed file is not). */
  private async current(): Promise<boolean> {
    try {
      return (await fsp.stat(this.dev.path)).ino === this.ino;
    } catch {
      return false;
    }
  }

  private async handle(): Promise<fsp.FileHandle> {
    if (this.fh && (await this.current())) return this.fh;
    await this.close();
    let fh: fsp.FileHandle;
    try {
      fh = await this.open(this.dev.path, constants.O_WRONLY);
    } catch (err) {
      throw new DisplayError(await fileProblem(this.root, this.dev.path, this.dev.kind, err));
    }
    try {
      await checkSize(fh, this.root, this.dev, this.bytes);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.fh = fh;
    this.ino = (await fh.stat()).ino;
    return fh;
  }

  async write(image: Image, rotation: Rotation, lowLight: boolean): Promise<void> {
    const buf = this.dev.kind === 'fb' ? packFramebuffer(image, rotation, lowLight) : packMisc(image, rotation, lowLight);
    const fh = await this.handle();
    try {
      await fh.write(buf, 0, buf.length, 0);
    } catch (err) {
      // Drop the handle: the next frame reopens, so a device that comes back is picked up.
      this.fh = undefined;
      await fh.close().catch(() => undefined);
      throw new DisplayError(await fileProblem(this.root, this.dev.path, this.dev.kind, err));
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}
