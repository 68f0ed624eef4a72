/**
 * Environment variables for a test that runs an example flow configured by `${VAR}`: every
 * named variable is cleared, the given values set, and the returned function puts each name
 * back as it was.
 */
export function setEnv(names: readonly string[], values: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>(names.map((k) => [k, process.env[k]]));
  for (const k of names) delete process.env[k];
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The variables of the Cumulocity examples (README, "Pointing it at a real tenant"). */
export const C8Y_ENV = ['C8Y_HOST', 'C8Y_PORT', 'C8Y_PROTOCOL', 'C8Y_TENANT', 'C8Y_DEVICE_ID', 'C8Y_USER', 'C8Y_PASSWORD', 'C8Y_HTTP_URL'];

/**
 * setEnv for a Cumulocity example against the simulator on 127.0.0.1: plain MQTT on `port`, tenant
 * t12345, the device user `device_<deviceId>` with `password`; `extra` adds or overrides variables.
 */
export function setC8yEnv(port: number, deviceId: string, password: string, extra: Record<string, string> = {}): () => void {
  return setEnv([...C8Y_ENV, ...Object.keys(extra)], {
    C8Y_HOST: '127.0.0.1',
    C8Y_PORT: String(port),
    C8Y_PROTOCOL: 'mqtt',
    C8Y_TENANT: 't12345',
    C8Y_DEVICE_ID: deviceId,
    C8Y_USER: `device_${deviceId}`,
    C8Y_PASSWORD: password,
    ...extra,
  });
}
