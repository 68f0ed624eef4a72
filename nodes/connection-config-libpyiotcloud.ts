/**
 * The connection node's settings for a libpyiotcloud device (libpyiotcloud.md §1, §5), validated
 * at runtime (pure). Every field starts with `lpc` (the editor shows them in libpyiotcloud's own
 * section); the broker is one URL, `mqtt://host:port` or `mqtts://host:port`.
 */
import { BUILTIN_APIS, isDeviceId } from '../dialects/libpyiotcloud';
import { fail, ok, type Result } from '../dialects/types';
import { BAUD_RATES } from '../devices/uart/interface';
import { checkDevicePath } from '../devices/uart/linux';
import type { TlsSettings } from '../transport/session';
import { bool, brokerEndpoint, int, list, pinList, readTls, secretFrom, str } from './config-fields';
import type { ConfigContext, ConnectionCredentials, ConnectionDef } from './connection-config';

export const HEADER_GPIO: readonly number[] = Array.from({ length: 28 }, (_, i) => i);

export interface LibpyiotcloudConfig {
  url: string;
  host: string;
  deviceId: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
  keepaliveSec: number;
  builtins: string[];
  uartMaxBytes: number;
  replyDeadlineMs: number;
  devices: {
    mode: 'simulated' | 'linux';
    gpioPins: number[];
    gpioChip?: string | undefined;
    uartDevice: string;
    uartBaud?: number | undefined;
    clockSet: boolean;
  };
  dataDir: string;
  restartTimeoutSec: number;
  badCredentialsRetrySec: number;
}

/** Host, port and scheme from the broker URL (a bare host means mqtts on 8883). */
function endpoint(def: ConnectionDef): Result<{ url: string; host: string; tls: boolean }> {
  const raw = str(def['lpcUrl']);
  if (!raw) return fail('broker URL is not set (mqtt://host:1883 or mqtts://host:8883)');
  return brokerEndpoint(raw, 'libpyiotcloud URL', 'mqtts');
}

/** Checks the settings and builds the agent configuration (devices are made by the registry). */
export function parseLibpyiotcloudConfig(
  def: ConnectionDef,
  creds: ConnectionCredentials,
  ctx: ConfigContext,
): Result<LibpyiotcloudConfig> {
  const ep = endpoint(def);
  if (!ep.ok) return ep;
  const deviceId = str(def['lpcDeviceId']);
  if (!deviceId) return fail('device id is not set (the id the cloud gave the device at registration)');
  if (!isDeviceId(deviceId)) return fail(`device id "${deviceId}" must not contain "/", "+" or "#"`);

  const fromEnv = str(def['lpcCredentialsFrom']) === 'env';
  const user = secretFrom(fromEnv, creds['lpcUser'], def['lpcUserEnv'], 'LIBPYIOTCLOUD_USER', ctx);
  const password = secretFrom(fromEnv, creds['lpcPassword'], def['lpcPasswordEnv'], 'LIBPYIOTCLOUD_PASSWORD', ctx);

  const files = {
    caFile: def['lpcCaFile'],
    certFile: def['lpcCertFile'],
    keyFile: def['lpcKeyFile'],
    verifyServer: def['lpcVerifyServer'],
  };
  const tls = ep.value.tls ? readTls(files, ctx) : undefined;
  if (tls && !tls.ok) return tls;
  if (!ep.value.tls && (str(files.certFile) || str(files.keyFile))) return fail('a client certificate needs mqtts');

  const keepalive = int(def['lpcKeepalive'], 60, 10, 1200, 'keep-alive');
  if (!keepalive.ok) return keepalive;
  const builtinText = str(def['lpcBuiltins']) || 'all';
  const builtins = builtinText === 'all' ? [...BUILTIN_APIS] : builtinText === 'none' ? [] : list(builtinText);
  const unknown = builtins.filter((b) => !BUILTIN_APIS.includes(b));
  if (unknown.length > 0) return fail(`no built-in answer for ${unknown.join(', ')} (built-ins: ${BUILTIN_APIS.join(', ')})`);
  const uartMax = int(def['lpcUartMax'], 1024, 1, 65_536, 'longest UART text');
  if (!uartMax.ok) return uartMax;
  const deadline = int(def['lpcReplyDeadline'], 1000, 0, 60_000, 'reply deadline');
  if (!deadline.ok) return deadline;
  const mode = str(def['lpcDevices']) || 'simulated';
  if (mode !== 'simulated' && mode !== 'linux') return fail(`devices must be simulated or linux, not "${mode}"`);
  const pins = pinList(def['lpcGpioPins'], HEADER_GPIO);
  if (!pins.ok) return pins;
  const uartDevice = str(def['lpcUartDevice']) || '/dev/serial0';
  const badDevice = checkDevicePath(uartDevice);
  if (badDevice) return fail(badDevice);
  const baudText = str(def['lpcUartBaud']);
  const baud = baudText === '' ? undefined : Number(baudText);
  if (baud !== undefined && !BAUD_RATES.includes(baud))
    return fail(`serial speed must be one of ${BAUD_RATES.join(', ')}, not "${baudText}"`);
  const restart = int(def['lpcRestartTimeout'], 3600, 10, 86_400, 'restart timeout');
  if (!restart.ok) return restart;
  const badRetry = int(def.badCredentialsRetry, 600, 0, 86_400, 'retry after bad credentials');
  if (!badRetry.ok) return badRetry;

  return ok({
    url: ep.value.url,
    host: ep.value.host,
    deviceId,
    username: user || undefined,
    password: password || undefined,
    tls: tls?.value,
    keepaliveSec: keepalive.value,
    builtins,
    uartMaxBytes: uartMax.value,
    replyDeadlineMs: deadline.value,
    devices: {
      mode,
      gpioPins: pins.value,
      gpioChip: str(def['lpcGpioChip']) || undefined,
      uartDevice,
      uartBaud: baud,
      clockSet: bool(def['lpcClockSet'], false),
    },
    dataDir: ctx.dataDir,
    restartTimeoutSec: restart.value,
    badCredentialsRetrySec: badRetry.value,
  });
}
