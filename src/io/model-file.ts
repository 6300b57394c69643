// The model file: a versioned binary with a header and a checksum, written atomically.
//
//   bytes 0..7    magic "ASYNGRAD"
//   8..11         u32 format version (1)
//   12..15        u32 header length H (bytes of UTF-8 JSON)
//   16..23        f64 number of f32 weights P (an integer; f64 so that any size is representable)
//   24..24+H      header JSON (model kind, shape, labels, template, feature strings, training options)
//   then          P little-endian f32 weights, padded so they start at a multiple of 4
//   last 4 bytes  u32 CRC-32 of everything before it
//
// A corrupt, truncated or foreign file is refused with a clear error before any large allocation:
// every size field is checked against the file's real size first.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from './crc32.js';

export const MAGIC = 'ASYNGRAD';
export const FORMAT_VERSION = 1;
const FIXED = 24;

export class ModelFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

export interface ModelFile<H> {
  header: H;
  weights: Float32Array;
}

export function encodeModel(header: object, weights: Float32Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const wStart = Math.ceil((FIXED + json.length) / 4) * 4;
  const total = wStart + weights.length * 4 + 4;
  const buf = Buffer.alloc(total);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(FORMAT_VERSION, 8);
  buf.writeUInt32LE(json.length, 12);
  buf.writeDoubleLE(weights.length, 16);
  json.copy(buf, FIXED);
  Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).copy(buf, wStart);
  buf.writeUInt32LE(crc32(buf.subarray(0, total - 4)), total - 4);
  return buf;
}

/** Writes path atomically: a temporary file beside it, fsync, then rename over the old one. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw cannotWrite(path, e);
  }
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw cannotWrite(path, e);
  }
}

function cannotWrite(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? `the directory ${dirname(path)} does not exist` : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code ?? (e as Error).message;
  return new ModelFileError(path, `cannot write the file: ${why}`);
}

export function saveModel(path: string, header: object, weights: Float32Array): void {
  writeFileAtomic(path, encodeModel(header, weights));
}

export function loadModel<H>(path: string, maxBytes = 8 * 2 ** 30): ModelFile<H> {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ModelFileError(path, 'is a directory, not a model file');
    size = st.size;
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(path, code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? (e as Error).message})`);
  }
  if (size < FIXED + 4) throw new ModelFileError(path, `not an asyngrad model (only ${size} bytes)`);
  if (size > maxBytes) throw new ModelFileError(path, `file is ${size} bytes, larger than any model this build can load`);
  return decodeModel<H>(readFileSync(path), path);
}

export function decodeModel<H>(bytes: Uint8Array, path = '<buffer>'): ModelFile<H> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FIXED + 4 || buf.toString('latin1', 0, 8) !== MAGIC) throw new ModelFileError(path, 'not an asyngrad model (wrong magic bytes)');
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw new ModelFileError(path, `model format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`);
  const H = buf.readUInt32LE(12);
  const P = buf.readDoubleLE(16);
  if (FIXED + H + 4 > buf.length) throw new ModelFileError(path, `truncated or corrupt: header claims ${H} bytes but the file has ${buf.length}`);
  if (!Number.isInteger(P) || P < 0) throw new ModelFileError(path, `corrupt: invalid weight count ${P}`);
  const wStart = Math.ceil((FIXED + H) / 4) * 4;
  const expected = wStart + P * 4 + 4;
  if (expected !== buf.length) throw new ModelFileError(path, `truncated or corrupt: ${P} weights need ${expected} bytes, the file has ${buf.length}`);
  const stored = buf.readUInt32LE(buf.length - 4);
  const actual = crc32(buf.subarray(0, buf.length - 4));
  if (stored !== actual) throw new ModelFileError(path, `checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is corrupt`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(FIXED, FIXED + H));
  } catch {
    throw new ModelFileError(path, 'corrupt header (not valid UTF-8)');
  }
  let header: H;
  try {
    header = JSON.parse(text) as H;
  } catch {
    throw new ModelFileError(path, 'corrupt header (not valid JSON)');
  }
  const weights = new Float32Array(P);
  new Uint8Array(weights.buffer).set(buf.subarray(wStart, wStart + P * 4));
  return { header, weights };
}
