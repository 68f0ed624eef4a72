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
