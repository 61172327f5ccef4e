/**
 * POSIX tar as Velero writes and reads it (Go's archive/tar with the format left unset): ustar headers, a PAX
 * extended header only for what ustar cannot hold. The writer produces bytes the caller streams (and gzips) itself,
 * so an archive of any size never sits in memory; the reader is incremental for the same reason.
 */

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Velero's extractor creates each file's parent directories with the file's own mode: 0644 would make them untraversable. */
const FILE_MODE = 0o755;
const PAX_MODE = 0o644;
/** The largest value an 11-digit octal field holds (8 GiB - 1 for a size). */
const MAX_OCTAL_11 = 0o77777777777;

const NAME_LEN = 100;
const PREFIX_LEN = 155;

function writeString(block: Uint8Array, offset: number, length: number, bytes: Uint8Array): void {
  block.set(bytes.subarray(0, length), offset);
}

/** `digits` octal digits then NUL, zero-padded, as Go and GNU tar write numeric fields. */
function writeOctal(block: Uint8Array, offset: number, digits: number, value: number): void {
  const text = Math.trunc(value).toString(8).padStart(digits, '0');
  block.set(encoder.encode(text), offset);
  block[offset + digits] = 0;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Where a long name splits into ustar's prefix and name fields, or undefined when no `/` allows it. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= NAME_LEN) return { prefix: '', name };
  const searchEnd = Math.min(name.length - 1, PREFIX_LEN);
  const slash = name.lastIndexOf('/', searchEnd);
  if (slash <= 0) return undefined;
  const rest = name.slice(slash + 1);
  if (rest.length === 0 || rest.length > NAME_LEN) return undefined;
  return { prefix: name.slice(0, slash), name: rest };
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
}

function ustarBlock(h: HeaderFields): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, NAME_LEN, encoder.encode(h.name));
  writeOctal(block, 100, 7, h.mode);
  writeOctal(block, 108, 7, 0); // uid
  writeOctal(block, 116, 7, 0); // gid
  writeOctal(block, 124, 11, h.size);
  writeOctal(block, 136, 11, h.mtime);
  block[156] = h.type.charCodeAt(0);
  block.set(encoder.encode('ustar\u000000'), 257);
  writeOctal(block, 329, 7, 0); // devmajor
  writeOctal(block, 337, 7, 0); // devminor
  writeString(block, 345, PREFIX_LEN, encoder.encode(h.prefix));
  // The checksum field: six octal digits, NUL, space (what Go and GNU tar write).
  const sum = checksum(block);
  writeOctal(block, 148, 6, sum);
  block[155] = 0x20;
  return block;
}

/** One PAX record: "<length> <key>=<value>\n", where the length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let digits = String(bodyLength).length;
  if (String(bodyLength + digits).length !== digits) digits++;
  return `${bodyLength + digits}${body}`;
}

/** The parts one after the other, as one array: how headers, contents and padding become an archive. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Zero padding to the next 512-byte boundary after `size` bytes of content. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The header of one regular file: mode 0755, uid/gid 0, no user names, typeflag '0', mtime in whole seconds (ustar;
 * a PAX extended header before it when the name or size does not fit ustar). 512 bytes, or 1536 and more with PAX.
 */
export function tarFileHeader(name: string, size: number, mtimeSeconds: number): Uint8Array {
  if (name === '' || name.includes('\u0000')) throw new Error('a tar entry needs a name without NUL');
  if (!Number.isSafeInteger(size) || size < 0)
    throw new Error(`a tar entry's size must be a whole number, not ${size}`);
  const mtime = Math.max(0, Math.floor(mtimeSeconds));
  const split = isAscii(name) ? splitName(name) : undefined;
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', name));
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', String(size)));
  const header = ustarBlock({
    // What a reader without PAX support sees: the name cut to the field (Go does the same).
    name: split?.name ?? asciiCut(name, NAME_LEN),
    prefix: split?.prefix ?? '',
    mode: FILE_MODE,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mtime,
    type: '0',
  });
  if (records.length === 0) return header;
  const pax = encoder.encode(records.join(''));
  const paxHeader = ustarBlock({
    name: asciiCut(`PaxHeaders.0/${baseName(name)}`, NAME_LEN),
    prefix: '',
    mode: PAX_MODE,
    size: pax.length,
    mtime,
    type: 'x',
  });
  return concatBytes([paxHeader, pax, tarPadding(pax.length), header]);
}

/** Writes `text`'s char codes (ASCII, checked by the caller) at `offset`; returns their sum, for the checksum. */
function writeAscii(target: Uint8Array, offset: number, text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    target[offset + i] = code;
    sum += code;
  }
  return sum;
}

/** Writes `value` as `digits` octal digits at `offset` (the caller's NUL follows); returns their sum. */
function writeOctalDigits(target: Uint8Array, offset: number, digits: number, value: number): number {
  let sum = 0;
  let rest = value;
  for (let i = digits - 1; i >= 0; i--) {
    const digit = 0x30 + (rest % 8);
    target[offset + i] = digit;
    sum += digit;
    rest = Math.floor(rest / 8);
  }
  return sum;
}

/**
 * The ustar headers of the many regular files of one archive, written in place. Field by field, forming a header
 * costs more than the JSON it precedes (a backup of 50k objects writes 100k of them); here the fields every entry
 * shares (mode, owner, mtime, magic) are laid out once, and an entry adds its name, size and checksum. Byte for
 * byte what tarFileHeader writes (the unit tests compare them). `layout` says whether an entry fits ustar; one that
 * does not (no `/` to split a long name at, non-ASCII, over 8 GiB) gets its header, PAX included, from tarFileHeader.
 */
export class UstarFileHeaders {
  private readonly template: Uint8Array;
  private readonly templateSum: number;

  constructor(mtimeSeconds: number) {
    const template = ustarBlock({
      name: '',
      prefix: '',
      mode: FILE_MODE,
      size: 0,
      mtime: Math.max(0, Math.floor(mtimeSeconds)),
      type: '0',
    });
    template.fill(0, 124, 135); // the size digits, written per entry
    template.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
    this.template = template;
    this.templateSum = template.reduce((sum, b) => sum + b, 0);
  }

  /** Where `name` goes in ustar's name and prefix fields, or undefined when tarFileHeader must write the header. */
  static layout(name: string, size: number): { prefix: string; name: string } | undefined {
    if (size > MAX_OCTAL_11 || name === '' || !isAscii(name)) return undefined;
    return splitName(name);
  }

  /** Writes the 512-byte header of a file laid out by `layout`, of `size` bytes, at `offset`. */
  write(target: Uint8Array, offset: number, layout: { prefix: string; name: string }, size: number): void {
    target.set(this.template, offset);
    let sum = this.templateSum;
    sum += writeAscii(target, offset, layout.name);
    sum += writeAscii(target, offset + 345, layout.prefix);
    sum += writeOctalDigits(target, offset + 124, 11, size);
    // Six digits, NUL, space: the spaces counted in the sum stand for the field, as the format defines.
    writeOctalDigits(target, offset + 148, 6, sum);
    target[offset + 154] = 0;
  }
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** The first `length` bytes' worth of printable ASCII (a name field cannot hold a cut UTF-8 sequence sensibly). */
function asciiCut(text: string, length: number): string {
  return text.replace(/[^\x20-\x7e]/g, '_').slice(0, length);
}

/** The end of an archive: two zero blocks. */
export const TAR_END: Uint8Array = new Uint8Array(2 * BLOCK);

// ---------------------------------------------------------------------------------------------------------------------
// Reading

export interface TarEntry {
  name: string;
  mode: number;
  /** The typeflag: '0' regular file, '5' directory, '2' symlink, ... (a NUL typeflag reads as '0'). */
  type: string;
  size: number;
  content: Uint8Array;
}

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

function octal(bytes: Uint8Array, field: string): number {
  if ((bytes[0]! & 0x80) !== 0) throw new Error(`tar header: base-256 ${field} is not supported`);
  const text = cString(bytes).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar header: ${field} "${text}" is not octal`);
  return parseInt(text, 8);
}

function parsePax(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < bytes.length) {
    const space = bytes.indexOf(0x20, pos);
    if (space < 0) throw new Error('tar: malformed PAX record');
    const length = Number(decoder.decode(bytes.subarray(pos, space)));
    if (!Number.isInteger(length) || length <= space - pos || pos + length > bytes.length) {
      throw new Error('tar: malformed PAX record length');
    }
    const record = decoder.decode(bytes.subarray(space + 1, pos + length - 1));
    const eq = record.indexOf('=');
    if (eq < 0) throw new Error('tar: malformed PAX record');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

type ReaderState =
  | { kind: 'header' }
  | { kind: 'content'; header: HeaderFields; content: Uint8Array; filled: number }
  | { kind: 'padding'; remaining: number }
  | { kind: 'done' };

/**
 * An incremental reader: feed chunks as they arrive, get every entry completed by them. Understands ustar, PAX
 * extended headers (path, size) and GNU long names; checks each header's checksum. Each entry's content is held
 * whole, so this suits archives of many small files (Velero's), not one huge one.
 */
export class TarReader {
  private state: ReaderState = { kind: 'header' };
  private readonly headerBuf = new Uint8Array(BLOCK);
  private headerFilled = 0;
  /** Overrides for the next entry, from a PAX 'x' header or a GNU 'L' long name. */
  private pending: { path?: string; size?: number } = {};

  push(chunk: Uint8Array): TarEntry[] {
    const entries: TarEntry[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const state = this.state;
      if (state.kind === 'done') break;
      if (state.kind === 'header') {
        const take = Math.min(BLOCK - this.headerFilled, chunk.length - pos);
        this.headerBuf.set(chunk.subarray(pos, pos + take), this.headerFilled);
        this.headerFilled += take;
        pos += take;
        if (this.headerFilled === BLOCK) {
          this.headerFilled = 0;
          const entry = this.onHeader(this.headerBuf);
          if (entry) entries.push(entry);
        }
      } else if (state.kind === 'content') {
        const take = Math.min(state.content.length - state.filled, chunk.length - pos);
        state.content.set(chunk.subarray(pos, pos + take), state.filled);
        state.filled += take;
        pos += take;
        if (state.filled === state.content.length) {
          const entry = this.onContent(state.header, state.content);
          if (entry) entries.push(entry);
        }
      } else {
        const take = Math.min(state.remaining, chunk.length - pos);
        state.remaining -= take;
        pos += take;
        if (state.remaining === 0) this.state = { kind: 'header' };
      }
    }
    return entries;
  }

  /** Throws unless the archive ended cleanly: with its end-of-archive block, not inside a header or an entry. */
  end(): void {
    if (this.state.kind === 'done') return;
    if (this.state.kind === 'header' && this.headerFilled === 0) {
      throw new Error('tar: truncated archive (no end-of-archive block)');
    }
    throw new Error('tar: truncated archive (it ends inside an entry)');
  }

  private onHeader(block: Uint8Array): TarEntry | undefined {
    if (block.every((b) => b === 0)) {
      this.state = { kind: 'done' };
      return undefined;
    }
    const stored = octal(block.subarray(148, 156), 'checksum');
    if (stored !== checksum(block)) throw new Error('tar: header checksum mismatch');
    const isUstar = cString(block.subarray(257, 263)) === 'ustar';
    const name = cString(block.subarray(0, 100));
    const prefix = isUstar ? cString(block.subarray(345, 500)) : '';
    const rawType = String.fromCharCode(block[156]!);
    const header: HeaderFields = {
      name: prefix ? `${prefix}/${name}` : name,
      prefix: '',
      mode: octal(block.subarray(100, 108), 'mode'),
      size: octal(block.subarray(124, 136), 'size'),
      mtime: octal(block.subarray(136, 148), 'mtime'),
      type: rawType === '\u0000' ? '0' : rawType,
    };
    const isMeta = header.type === 'x' || header.type === 'g' || header.type === 'L';
    if (!isMeta) {
      if (this.pending.path !== undefined) header.name = this.pending.path;
      if (this.pending.size !== undefined) header.size = this.pending.size;
      this.pending = {};
    }
    // Only regular files (and metadata) have content; a directory's or link's size field means nothing.
    const hasContent = isMeta || header.type === '0' || header.type === '7';
    if (!hasContent) header.size = 0;
    if (header.size === 0) return this.onContent(header, new Uint8Array(0));
    this.state = { kind: 'content', header, content: new Uint8Array(header.size), filled: 0 };
    return undefined;
  }

  private onContent(header: HeaderFields, content: Uint8Array): TarEntry | undefined {
    const padding = tarPadding(content.length).length;
    this.state = padding > 0 ? { kind: 'padding', remaining: padding } : { kind: 'header' };
    if (header.type === 'x') {
      const records = parsePax(content);
      const path = records.get('path');
      const size = records.get('size');
      if (path !== undefined) this.pending.path = path;
      if (size !== undefined) this.pending.size = Number(size);
      return undefined;
    }
    if (header.type === 'g') return undefined;
    if (header.type === 'L') {
      this.pending.path = cString(content);
      return undefined;
    }
    return { name: header.name, mode: header.mode, type: header.type, size: content.length, content };
  }
}
