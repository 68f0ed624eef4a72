/**
 * The download URL of a Helix Device Cloud OTA package (helix-device-cloud.md §7): `file.get` in
 * the shared (global) store first, then the thing's own store when the cloud answers "file not
 * found" (-90008). The software update node downloads from the URL as from any other.
 */
import type { ExtendedAgent, PlatformAgent } from '../agent/platform';

function hasFileStore(a: PlatformAgent | undefined): a is PlatformAgent & Required<Pick<ExtendedAgent, 'fileStore'>> {
  return typeof (a as ExtendedAgent | undefined)?.fileStore === 'function';
}

export async function resolveHdcPackage(agent: PlatformAgent | undefined, params: unknown): Promise<string> {
  const store = hasFileStore(agent) ? agent.fileStore() : undefined;
  if (!store) throw new Error('software_update needs a Helix Device Cloud connection');
  const pkg = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)['package'] : undefined;
  if (typeof pkg !== 'string' || pkg.trim() === '') throw new Error('software_update without a package');
  try {
    return (await store.prepareDownload(pkg.trim(), true)).url;
  } catch (err) {
    if (!(err as { notFound?: boolean }).notFound) throw err;
    return (await store.prepareDownload(pkg.trim(), false)).url;
  }
}
