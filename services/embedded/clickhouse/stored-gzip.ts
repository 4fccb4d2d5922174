/**
 * A gzip stream of stored (uncompressed) deflate blocks: the envelope that lets the engine tell a
 * whole insert body from a cut one. The engine reads a streamed insert through
 * `FROM INFILE <pipe> COMPRESSION 'gzip'`; its inflater fails the read ("inflate failed: buffer
 * error") when the pipe ends before the final block, and fails it ("incorrect data check") when
 * the CRC-32 or length in the trailer is wrong. So the final block and trailer are written only
 * once the HTTP body is known to be whole (Content-Length reached or the chunked terminator read,
 * and any request decoder finished): a body that is cut, oversized or undecodable never ends the
 * envelope, and the engine's insert fails before it commits anything.
 *
 * Stored blocks cost a copy on each side (no compression); CRC-32 is zlib's own (Node >= 20.15).
 * Contract (RFC 1951/1952): every stored block starts byte-aligned, so its 3-bit header plus
 * padding is one byte (0x00, or 0x01 for the final block), then LEN and ~LEN as little-endian
 * 16-bit values, then LEN bytes.
 */
import { crc32 } from 'node:zlib';

const MAX_STORED = 65535;
/** ID1 ID2, CM=deflate, no flags, no mtime, XFL 0, OS unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

export interface StoredGzip {
  /** The gzip header; write it first. */
  readonly header: Buffer;
  /** The pieces to write for one chunk of payload (block headers interleaved, payload not copied). */
  frame(chunk: Buffer): Buffer[];
  /** The final empty block and the trailer; write them only for a body known to be whole. */
  end(): Buffer;
}

export const storedGzip = (): StoredGzip => {
  let crc = 0;
  let size = 0;
  return {
    header: HEADER,
    frame: (chunk) => {
      const out: Buffer[] = [];
      for (let off = 0; off < chunk.length; off += MAX_STORED) {
        const piece = chunk.subarray(off, Math.min(chunk.length, off + MAX_STORED));
        const h = Buffer.allocUnsafe(5);
        h[0] = 0x00;
        h.writeUInt16LE(piece.length, 1);
        h.writeUInt16LE(~piece.length & 0xffff, 3);
        out.push(h, piece);
      }
      crc = crc32(chunk, crc);
      size = (size + chunk.length) >>> 0;
      return out;
    },
    end: () => {
      const t = Buffer.allocUnsafe(13);
      t[0] = 0x01;
      t.writeUInt16LE(0, 1);
      t.writeUInt16LE(0xffff, 3);
      t.writeUInt32LE(crc >>> 0, 5);
      t.writeUInt32LE(size, 9);
      return t;
    },
  };
};
