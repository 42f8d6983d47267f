/**
 * Polite JSON over HTTP for exchange REST APIs: a token bucket keeps us under the
 * exchange's published rate, and 429/5xx/network failures are retried with capped,
 * jittered exponential backoff (honouring Retry-After).
 */

import { setTimeout as sleep } from 'node:timers/promises';

export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Lazy-fill token bucket: `rate` tokens per second, bursts up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly rate: number,
    private readonly burst = Math.max(1, rate),
  ) {
    this.tokens = this.burst;
  }

  /** Resolves when a token is available. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000), undefined, { signal });
    }
  }
}

const buckets = new Map<string, TokenBucket>();

/** One bucket per base URL and rate, shared by every caller in the process. */
export function bucketFor(baseUrl: string, rate: number): TokenBucket {
  const key = `${baseUrl}|${rate}`;
  let b = buckets.get(key);
  if (!b) {
    b = new TokenBucket(rate);
    buckets.set(key, b);
  }
  return b;
}

export interface FetchJsonOptions {
  bucket: TokenBucket;
  signal?: AbortSignal | undefined;
  maxAttempts?: number;
  timeoutMs?: number;
}

export interface JsonResponse<T> {
  body: T;
  headers: Headers;
}

/** GET a URL and parse JSON, with rate limiting and retries. */
export async function fetchJson<T>(url: string, options: FetchJsonOptions): Promise<JsonResponse<T>> {
  const maxAttempts = options.maxAttempts ?? 8;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    await options.bucket.take(options.signal);
    let retryAfterMs: number | undefined;
    try {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
      if (res.ok) return { body: (await res.json()) as T, headers: res.headers };
      const text = await res.text().catch(() => '');
      const retryable = res.status === 429 || res.status >= 500;
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
      if (!retryable || attempt >= maxAttempts) {
        throw new RestError(`GET ${url} -> HTTP ${res.status} ${text.slice(0, 200)}`, res.status, retryable);
      }
    } catch (e) {
      if (e instanceof RestError) throw e;
      if (options.signal?.aborted) throw e;
      if (attempt >= maxAttempts)
        throw new RestError(`GET ${url} failed: ${(e as Error).message}`, undefined, true);
    }
    const wait = retryAfterMs ?? delay * (0.5 + Math.random());
    await sleep(Math.min(wait, 30_000), undefined, { signal: options.signal });
    delay = Math.min(delay * 2, 10_000);
  }
}
