import { describe, expect, it } from 'vitest';
import { compositeCrc32, partCrc32 } from '../../activities/storage/store-checksum.js';

// Known answers computed independently (Python's zlib.crc32 and struct.pack('>I', ...)), not with this code.
describe('store checksums', () => {
  it("a part's CRC32 is the standard check value, big-endian, in base64", () => {
    expect(partCrc32(Buffer.from('123456789'))).toEqual({ crc: 0xcbf43926, header: 'y/Q5Jg==' });
  });

  it("the composite is the CRC32 of the parts' big-endian CRC32s, with the part count", () => {
    const parts = [Buffer.from('a'.repeat(10)), Buffer.from('bc')].map((p) => partCrc32(p).crc);
    expect(compositeCrc32(parts)).toBe('a2THEw==-2');
  });

  it('depends on where the parts are cut, as the store computes it', () => {
    const whole = partCrc32(Buffer.from('a'.repeat(10) + 'bc')).crc;
    expect(compositeCrc32([whole])).not.toBe('a2THEw==-2');
    expect(compositeCrc32([whole]).endsWith('-1')).toBe(true);
  });
});
