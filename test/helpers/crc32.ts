/** An independent table-driven CRC-32 (IEEE), to check the project's checksum code against. */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Independent Kraken checksum over a book given as sorted level lists of exact text:
 * asks ascending then bids descending, top 10 each, '.' removed, leading zeros stripped.
 */
export function referenceKrakenChecksum(asks: [string, string][], bids: [string, string][]): number {
  const tok = (s: string) => s.replace('.', '').replace(/^0+(?=.)/, '');
  let text = '';
  for (const [p, q] of asks.slice(0, 10)) text += tok(p) + tok(q);
  for (const [p, q] of bids.slice(0, 10)) text += tok(p) + tok(q);
  return referenceCrc32(text);
}
