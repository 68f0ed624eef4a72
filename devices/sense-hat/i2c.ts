/**
 * Register access for the sensors the kernel does not expose (sense-hat.md §2): the LSM9DS1
 * gyroscope, the v2 board's TCS3400 colour sensor and the HTS221 once newer overlays disabled its
 * driver. Node cannot issue the I2C_SLAVE ioctl, so reads go through i2c-tools' `i2ctransfer`
 * with a fixed argument list (no shell). Optional: off unless the node asks for it.
 */
import { execFile } from 'node:child_process';

export interface RegisterBus {
  read(addr: number, reg: number, length: number): Promise<Buffer>;
  write(addr: number, reg: number, value: number): Promise<void>;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** The bytes `i2ctransfer` prints for a read (`0x12 0x34 …`). */
export function parseTransferOutput(out: string, length: number): Buffer {
  const bytes = out
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => (/^0x[0-9a-f]{1,2}$/i.test(t) ? parseInt(t, 16) : NaN));
  if (bytes.length !== length || bytes.some((b) => Number.isNaN(b)))
    throw new Error(`unexpected i2ctransfer output "${out.trim().slice(0, 40)}"`);
  return Buffer.from(bytes);
}

export class I2cToolsBus implements RegisterBus {
  constructor(
    private readonly bus = 1,
    private readonly command = 'i2ctransfer',
    private readonly timeoutMs = 2000,
  ) {}

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.command, ['-y', String(this.bus), ...args], { timeout: this.timeoutMs }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${this.command} failed: ${(stderr || err.message).trim().slice(0, 120)}`, { cause: err }));
        else resolve(stdout);
      });
    });
  }

  async read(addr: number, reg: number, length: number): Promise<Buffer> {
    return parseTransferOutput(await this.run([`w1@${hex(addr)}`, hex(reg), `r${length}`]), length);
  }

  async write(addr: number, reg: number, value: number): Promise<void> {
    await this.run([`w2@${hex(addr)}`, hex(reg), hex(value & 0xff)]);
  }
}
