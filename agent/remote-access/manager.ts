/**
 * The remote-access service of one node: checks each `c8y_RemoteAccessConnect` against the
 * allow-list and the tunnel limit, opens the tunnel, and keeps the open ones so they can be
 * counted and closed on redeploy. The caller reports the outcome once `connect` resolves — the
 * tunnel is up then, it is not waited for to close (cumulocity.md §12 item 9).
 */
import { EventEmitter } from 'node:events';
import { fail, ok, type Result } from '../../dialects/types';
import { platformTls, type PlatformHttpAccess } from '../platform';
import { deviceEndpoint, formatTarget, isAllowed, parseConnectRequest, parseRelayRequest, type Target } from './targets';
import { Tunnel, type TunnelClosed } from './tunnel';

export interface RemoteAccessConfig {
  allow: readonly Target[];
  maxTunnels: number;
  connectTimeoutSec: number;
  /** 0 = tunnels never close for idleness. */
  idleTimeoutSec: number;
  pingIntervalMs: number;
  highWaterMark: number;
  maxMessageBytes: number;
}

export const REMOTE_ACCESS_DEFAULTS = {
  pingIntervalMs: 30_000,
  highWaterMark: 1024 * 1024,
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

/** The platform's HTTP side as the agent gives it (agent/platform.ts `platformHttp`). */
export type PlatformHttp = () => PlatformHttpAccess | undefined;

export interface TunnelOpened {
  id: number;
  target: string;
}

export type TunnelEnded = TunnelOpened & TunnelClosed;

/** Events: `opened` (TunnelOpened), `closed` (TunnelEnded), `change` (open tunnel count). */
export class RemoteAccess extends EventEmitter {
  private readonly tunnels = new Map<number, Tunnel>();
  private readonly opening = new Set<Tunnel>();
  private counter = 0;
  private stopped = false;

  constructor(
    private readonly cfg: RemoteAccessConfig,
    private readonly http: PlatformHttp,
    /** The reason when `http` gives nothing. */
    private readonly noHttp = 'no platform credentials for the HTTP side yet (the device is not registered, or in certificate mode the platform has not sent a device token)',
  ) {
    super();
  }

  get count(): number {
    return this.tunnels.size;
  }

  /** Bytes buffered in each open tunnel (for tests and diagnostics). */
  buffered(): { up: number; down: number }[] {
    return [...this.tunnels.values()].map((t) => t.buffered);
  }

  /**
   * One request: `c8y_RemoteAccessConnect` (`{hostname, port, connectionKey}`: the platform's
   * device endpoint, with the device's credentials) or the relay form (`{url, host, protocol}`:
   * the WebSocket relay the platform named, Helix Device Cloud). Resolves with the tunnel once it
   * is up, or with the reason it is not. Never rejects.
   */
  async connect(params: unknown): Promise<Result<TunnelOpened>> {
    const relay = typeof params === 'object' && params !== null && 'url' in params;
    const req = relay ? parseRelayRequest(params) : parseConnectRequest(params);
    if (!req.ok) return req;
    const { target } = req.value;
    const label = formatTarget(target);
    if (this.stopped) return fail('the remote-access node is stopping');
    if (!isAllowed(this.cfg.allow, target)) return fail(`${label} is not on this device's remote-access allow-list`);
    if (this.tunnels.size + this.opening.size >= this.cfg.maxTunnels) {
      return fail(`tunnel limit reached (${this.cfg.maxTunnels} open)`);
    }
    const http = this.http();
    // The connection's CA and verification setting only for the platform's own host; a relay elsewhere is checked against the system's CAs.
    let side: {
      url: string;
      authorization?: string;
      protocols: string[];
      secrets: string[];
      tls: ReturnType<typeof platformTls> | undefined;
    };
    if ('relayUrl' in req.value) {
      const u = new URL(req.value.relayUrl);
      // The relay's session travels in the URL: its path and query are secrets.
      side = {
        url: req.value.relayUrl,
        protocols: [],
        secrets: [req.value.relayUrl, `${u.pathname}${u.search}`, u.search.slice(1)],
        tls: http !== undefined && hostOf(http.baseUrl) === u.hostname ? platformTls(http) : undefined,
      };
    } else {
      if (!http) return fail(this.noHttp);
      const url = deviceEndpoint(http.baseUrl, req.value.key);
      if (!url.ok) return url;
      // Subprotocol "binary" as the platform's remote-access service answers it (see README, unverified parts).
      side = { url: url.value, authorization: http.authorization, protocols: ['binary'], secrets: [req.value.key], tls: platformTls(http) };
    }
    const tunnel = new Tunnel({
      target,
      url: side.url,
      authorization: side.authorization,
      protocols: side.protocols,
      tls: side.tls,
      secrets: side.secrets,
      connectTimeoutMs: this.cfg.connectTimeoutSec * 1000,
      idleTimeoutMs: this.cfg.idleTimeoutSec * 1000,
      pingIntervalMs: this.cfg.pingIntervalMs,
      highWaterMark: this.cfg.highWaterMark,
      maxMessageBytes: this.cfg.maxMessageBytes,
    });
    this.opening.add(tunnel);
    try {
      await tunnel.open();
    } catch (err) {
      return fail(this.stopped ? 'the remote-access node was stopped' : err instanceof Error ? err.message : String(err));
    } finally {
      this.opening.delete(tunnel);
    }
    if (this.stopped) {
      await tunnel.close();
      return fail('the remote-access node was stopped');
    }
    this.counter += 1;
    const id = this.counter;
    this.tunnels.set(id, tunnel);
    tunnel.once('closed', (info: TunnelClosed) => {
      this.tunnels.delete(id);
      const ended: TunnelEnded = { id, target: label, ...info };
      this.emit('closed', ended);
      this.emit('change', this.tunnels.size);
    });
    const opened: TunnelOpened = { id, target: label };
    this.emit('opened', opened);
    this.emit('change', this.tunnels.size);
    return ok(opened);
  }

  /** Closes one tunnel, e.g. when its operation could no longer be reported. */
  closeTunnel(id: number): Promise<void> {
    return this.tunnels.get(id)?.close() ?? Promise.resolve();
  }

  /** Redeploy or shutdown: refuses new tunnels, closes the open ones and those being opened. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.opening) void t.close();
    await Promise.all([...this.tunnels.values()].map((t) => t.close()));
  }
}

/** The host name of a URL, or undefined. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
