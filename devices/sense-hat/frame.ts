/**
 * From the logical 8×8 image to the bytes the kernel drivers take (sense-hat.md §7). Rotation and
 * low light are applied only here, so the logical image is never changed by them. Pure.
 */
import type { Image, Rgb, Rotation } from './interface';

export const FB_BYTES = 128;
export const MISC_BYTES = 192;
const OFF: Rgb = [0, 0, 0];

export function blankImage(colour: Rgb = OFF): Rgb[] {
  return Array.from({ length: 64 }, () => colour);
}

/** Physical (x, y) of a logical pixel; 90 turns the picture clockwise. */
export function physical(x: number, y: number, rotation: Rotation): [number, number] {
  switch (rotation) {
    case 0:
      return [x, y];
    case 90:
      return [7 - y, x];
    case 180:
      return [7 - x, 7 - y];
    case 270:
      return [y, 7 - x];
  }
}

/**
 * Low light without the driver's gamma ioctl: about 30 % of each channel, but a lit channel keeps
 * at least 8 so that it still lights after the driver drops the low bits.
 */
export function dim(c: number): number {
  return c === 0 ? 0 : Math.max(8, Math.round(c * 0.3));
}

/** The image in physical order with rotation and low light applied. */
export function toPhysical(image: Image, rotation: Rotation, lowLight: boolean): Rgb[] {
  const out = blankImage();
  for (let y = 0; y < 8; y += 1) {
    for (let x = 0; x < 8; x += 1) {
      const c = image[8 * y + x] ?? OFF;
      const [px, py] = physical(x, y, rotation);
      out[8 * py + px] = lowLight ? [dim(c[0]), dim(c[1]), dim(c[2])] : c;
    }
  }
  return out;
}

export function rgb565(c: Rgb): number {
  return ((c[0] >> 3) << 11) | ((c[1] >> 2) << 5) | (c[2] >> 3);
}

/** The 128-byte frame of the `rpisense-fb` framebuffer: RGB565, little-endian, row by row. */
export function packFramebuffer(image: Image, rotation: Rotation, lowLight: boolean): Buffer {
  const buf = Buffer.alloc(FB_BYTES);
  toPhysical(image, rotation, lowLight).forEach((c, i) => buf.writeUInt16LE(rgb565(c), 2 * i));
  return buf;
}

/** The 192 bytes of the `sensehat-display` misc device: per row 8 red, 8 green, 8 blue, 5 bits each. */
export function packMisc(image: Image, rotation: Rotation, lowLight: boolean): Buffer {
  const buf = Buffer.alloc(MISC_BYTES);
  toPhysical(image, rotation, lowLight).forEach((c, i) => {
    const y = Math.floor(i / 8);
    const x = i % 8;
    for (let ch = 0; ch < 3; ch += 1) buf[24 * y + 8 * ch + x] = (c[ch] ?? 0) >> 3;
  });
  return buf;
}

/** The inverse of packFramebuffer for rotation 0 (tests and the simulated board's viewer). */
export function unpackFramebuffer(buf: Buffer): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < 64 && 2 * i + 1 < buf.length; i += 1) {
    const v = buf.readUInt16LE(2 * i);
    out.push([((v >> 11) & 0x1f) << 3, ((v >> 5) & 0x3f) << 2, (v & 0x1f) << 3]);
  }
  return out;
}

/** Mirror left–right (`h`) or top–bottom (`v`): a one-off change of the image, as FH/FV were. */
export function flip(image: Image, axis: 'h' | 'v'): Rgb[] {
  const out = blankImage();
  for (let y = 0; y < 8; y += 1) {
    for (let x = 0; x < 8; x += 1) {
      const src = axis === 'h' ? 8 * y + (7 - x) : 8 * (7 - y) + x;
      out[8 * y + x] = image[src] ?? OFF;
    }
  }
  return out;
}
