/**
 * The install types a job may use, made from plain settings. The settings are stored in the job
 * journal, so recovery after a restart uses the handlers the job started with even if the node
 * was reconfigured meanwhile.
 */
import { AptHandler, type AptSettings } from './apt';
import { ArchiveHandler, type ArchiveSettings } from './archive';
import type { DiskProbe, SoftwareHandler } from './interface';
import { NodeRedPackageHandler, type NodeRedPackageSettings } from './node-red-package';

/** Absent = that install type is off. */
export interface HandlerSettings {
  archive?: ArchiveSettings | undefined;
  nodeRed?: NodeRedPackageSettings | undefined;
  apt?: AptSettings | undefined;
}

export function createHandlers(s: HandlerSettings, disk: DiskProbe): Map<string, SoftwareHandler> {
  const out = new Map<string, SoftwareHandler>();
  if (s.archive) out.set('archive', new ArchiveHandler(s.archive, disk));
  if (s.nodeRed) out.set('node-red-package', new NodeRedPackageHandler(s.nodeRed, disk));
  if (s.apt) out.set('apt', new AptHandler(s.apt));
  return out;
}
