/** Fault injection settings and the kinds of malformed frames (all deterministic). */

export interface FaultOptions {
  /** After every n messages sent on a connection, cut it (no close frame). */
  dropEvery?: number;
  /** Per market, after every n trades made, withhold the next 1-5 from every WebSocket client. */
  gapEvery?: number;
  /** After every n messages sent on a connection, send one extra malformed frame. */
  badFrameEvery?: number;
  /** Every n-th book update on a connection is corrupted. */
  corruptChecksumEvery?: number;
}

/** Malformed frames, sent in this order, cycling. */
export const BAD_FRAME_KINDS = [
  'truncated_json',
  'binary',
  'unknown_type',
  'nan_price',
  'negative_price',
  'missing_trade_id',
  'wrong_types',
] as const;

export type BadFrameKind = (typeof BAD_FRAME_KINDS)[number];

/** The bytes of the binary bad frame: not UTF-8 text, certainly not JSON. */
export const BINARY_BAD_FRAME = Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x01, 0x02]);
