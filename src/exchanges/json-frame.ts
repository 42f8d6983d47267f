/** The first step of every adapter's parser: a frame's text -> a JSON object, or counted as malformed. */

import type { FrameSink } from './adapter.js';

export type JsonObject = Record<string, unknown>;

/** Parses `text` as a JSON object; otherwise counts it (type `invalid`) and returns undefined. */
export function parseJsonObject(text: string, sink: FrameSink): JsonObject | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    sink.message('invalid');
    sink.malformed('invalid_json', text.slice(0, 120));
    return undefined;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    sink.message('invalid');
    sink.malformed('not_an_object', text.slice(0, 120));
    return undefined;
  }
  return o as JsonObject;
}
