// waitFor: resolve on the first 'change' where a predicate holds, with a named timeout.
import type { EventEmitter } from 'node:events';

/** Check now and after every 'change' of `emitter`; reject naming `what` after `timeoutMs`. */
export function waitForChange(emitter: EventEmitter, predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      emitter.off('change', onChange);
      if (err) reject(err);
      else resolve();
    };
    const onChange = (): void => {
      let holds: boolean;
      try {
        holds = predicate();
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (holds) finish();
    };
    const timer = setTimeout(() => {
      finish(new Error(`simulator: timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.on('change', onChange);
    onChange();
  });
}
