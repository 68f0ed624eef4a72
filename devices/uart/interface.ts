/** A serial port the libpyiotcloud agent writes `write_uart` text to (linux.ts: a tty; simulated.ts: a file). */
export interface Uart {
  /** The device or file written to. */
  readonly path: string;
  readonly simulated: boolean;
  /** Writes the text as UTF-8, all of it or nothing reported as written. */
  write(text: string): Promise<void>;
}

/** Speeds `stty` accepts on Linux that make sense for a Pi UART. */
export const BAUD_RATES: readonly number[] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];
