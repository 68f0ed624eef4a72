/**
 * Zip archives through yauzl (central directory first, real inflated sizes checked against the
 * header, `..` and absolute names refused by the library as well). Each entry is described the
 * same way as a tar entry and handed to the same sink (extract.ts), which decides.
 */
import * as yauzl from 'yauzl';
import { UpdateError } from './interface';
import type { ArchiveEntry, EntryKind, EntrySink } from './tar';

export interface ZipLimits {
  maxEntries: number;
  /** Refuse an entry whose header claims more than this ratio of inflated to compressed bytes. */
  maxRatio: number;
  /** Ratio checks start at this size: small text files compress better than 100:1. */
  ratioFloorBytes: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const MAX_LINK_TARGET = 4096;

function kindOf(e: yauzl.Entry): [EntryKind, string] {
  const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
  const unix = e.versionMadeBy >> 8 === 3;
  if (unix && mode === S_IFLNK) return ['symlink', 'symbolic link'];
  if (e.fileName.endsWith('/') || (unix && mode === S_IFDIR)) return ['directory', 'directory'];
  if (!unix || mode === 0 || mode === S_IFREG) return ['file', 'file'];
  return ['other', `special file (mode ${mode.toString(8)})`];
}

function archiveError(err: unknown): UpdateError {
  if (err instanceof UpdateError) return err;
  return new UpdateError('E_ARCHIVE', `zip: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Reads the zip file and hands every entry to `sink`. */
export async function readZip(file: string, sink: EntrySink, limits: ZipLimits, signal?: AbortSignal): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: true }, (err, z) =>
        err ? reject(err) : resolve(z),
      ),
    );
  } catch (err) {
    throw archiveError(err);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new UpdateError('E_ARCHIVE', `the archive has ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`);
    }
    for await (const e of zip.eachEntry()) {
      signal?.throwIfAborted();
      if (e.isEncrypted()) throw new UpdateError('E_ARCHIVE', `encrypted entry ${e.fileName}`);
      const [kind, label] = kindOf(e);
      if (kind === 'file' && !e.canDecodeFileData()) {
        throw new UpdateError('E_ARCHIVE', `unsupported compression method ${e.compressionMethod} for ${e.fileName}`);
      }
      if (
        kind === 'file' &&
        e.uncompressedSize >= limits.ratioFloorBytes &&
        e.uncompressedSize / Math.max(1, e.compressedSize) > limits.maxRatio
      ) {
        throw new UpdateError(
          'E_ARCHIVE',
          `${e.fileName} expands ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1, over the limit of ${limits.maxRatio}:1`,
        );
      }
      const entry: ArchiveEntry = {
        path: e.fileName,
        kind,
        size: kind === 'file' ? e.uncompressedSize : 0,
        mode: (e.externalFileAttributes >>> 16) & 0o7777,
        label,
      };
      if (kind === 'symlink') {
        if (e.uncompressedSize > MAX_LINK_TARGET)
          throw new UpdateError('E_ARCHIVE', `symbolic link ${e.fileName} with an oversized target`);
        const parts: Buffer[] = [];
        for await (const c of (await zip.openReadStreamPromise(e)) as AsyncIterable<Buffer>) parts.push(c);
        entry.linkTarget = Buffer.concat(parts).toString('utf8');
      }
      await sink.begin(entry);
      if (kind === 'file') {
        const stream = await zip.openReadStreamPromise(e);
        try {
          for await (const c of stream as AsyncIterable<Buffer>) await sink.data(c);
        } finally {
          stream.destroy();
        }
      }
      await sink.end();
    }
  } catch (err) {
    throw archiveError(err);
  } finally {
    zip.close();
  }
}
