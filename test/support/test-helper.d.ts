// Minimal typings for node-red-node-test-helper (it ships none).
declare module 'node-red-node-test-helper' {
  import type { EventEmitter } from 'node:events';
  export interface TestNode extends EventEmitter {
    id: string;
    type: string;
    receive(msg: Record<string, unknown>): void;
    status: ((s: object) => void) & { lastCall?: unknown };
    error: ((e: unknown, msg?: unknown) => void) & { lastCall?: unknown };
    warn: (w: unknown) => void;
  }
  interface Helper {
    init(runtimePath: string, settings?: Record<string, unknown>): void;
    settings(s: Record<string, unknown>): Record<string, unknown>;
    load(nodes: unknown[], flow: object[], credentials?: Record<string, object>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): TestNode | undefined;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    clearFlows(): Promise<void>;
  }
  const helper: Helper;
  export = helper;
}
