/** Error answers of the API: `{"error": "<code>", "message": "<human text>"}`, never a stack. */

import type { FastifyError } from 'fastify';
import { StoreUnavailableError } from '../store/store.js';
import { DEPTH_MAX, INTERVALS, LIMIT_MAX } from './schemas.js';

export interface ErrorBody {
  error: string;
  message: string;
}

/** An expected, client-facing failure with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);

export const STORAGE_UNAVAILABLE: ErrorBody = {
  error: 'storage_unavailable',
  message: 'the data store is unavailable; try again shortly',
};

export const INTERNAL: ErrorBody = { error: 'internal', message: 'internal error' };

/** Codes for fastify's own 4xx errors (body too large, bad content type, ...). */
const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

export interface Classified {
  status: number;
  body: ErrorBody;
  /** Unexpected: log it with its stack. */
  bug: boolean;
}

/** Maps anything a handler, hook or fastify itself threw to the answer the client gets. */
export function classifyError(err: unknown): Classified {
  if (err instanceof ApiError) return { status: err.statusCode, body: err.body, bug: false };
  if (err instanceof StoreUnavailableError) return { status: 503, body: STORAGE_UNAVAILABLE, bug: false };
  const fe = err as Partial<FastifyError> | undefined;
  if (fe && Array.isArray(fe.validation)) {
    return { status: 400, body: validationBody(fe as FastifyError), bug: false };
  }
  const status = fe?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // fastify's own client errors carry safe, fixed messages (no input echoed at length).
    const message = typeof fe?.message === 'string' ? fe.message.slice(0, 200) : 'bad request';
    return { status, body: { error: STATUS_CODES[status] ?? 'bad_request', message }, bug: false };
  }
  return { status: 500, body: INTERNAL, bug: true };
}

const CONTEXT_NAMES: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
  body: 'body field',
};

function validationBody(err: FastifyError): ErrorBody {
  const v = err.validation![0];
  const context = CONTEXT_NAMES[err.validationContext ?? ''] ?? 'parameter';
  if (!v) return { error: 'invalid_parameter', message: `invalid ${context}` };
  const params = v.params as Record<string, unknown>;
  const name =
    v.instancePath.replace(/^\//, '').replaceAll('/', '.') ||
    (typeof params.missingProperty === 'string' ? params.missingProperty : '');
  if (name === 'interval' && v.keyword === 'enum') {
    return { error: 'invalid_interval', message: `interval must be one of ${INTERVALS.join(', ')}` };
  }
  if (name === 'limit') {
    return { error: 'invalid_parameter', message: `limit must be an integer 1..${LIMIT_MAX}` };
  }
  if (name === 'depth') {
    return { error: 'invalid_parameter', message: `depth must be an integer 1..${DEPTH_MAX}` };
  }
  let message = `${context} ${name ? `"${name}" ` : ''}${v.message ?? 'is invalid'}`;
  if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message += `: ${params.allowedValues.join(', ')}`;
  }
  return { error: 'invalid_parameter', message };
}
