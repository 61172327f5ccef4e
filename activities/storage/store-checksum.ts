import { crc32 } from 'node:zlib';

/**
 * The checksum S3 stores verify as parts arrive and report on HEAD (ChecksumMode ENABLED): CRC32 per part, and for
 * the object the COMPOSITE form, the CRC32 of the parts' CRC32s followed by the part count ("<base64>-<parts>").
 * Lifeboat computes the same value while uploading and records it in the manifest, so a restore's preflight can ask
 * the store instead of reading the whole object back (the restore's preflight step, core/restore-plan.ts). The algorithm's
 * name is core/manifest.ts's STORE_CHECKSUM_ALGORITHM.
 */

function bigEndian(crc: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc >>> 0);
  return bytes;
}

/** A part's CRC32 as S3 headers carry it. */
export function partCrc32(part: Buffer): { crc: number; header: string } {
  const crc = crc32(part);
  return { crc, header: bigEndian(crc).toString('base64') };
}

/** The object's composite checksum from its parts' CRC32s, in part order. */
export function compositeCrc32(partCrcs: number[]): string {
  const joined = Buffer.concat(partCrcs.map(bigEndian));
  return `${bigEndian(crc32(joined)).toString('base64')}-${partCrcs.length}`;
}
