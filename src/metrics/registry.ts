/**
 * The metrics of CONTRACT.md section 6 (names and labels exact), plus a few additions.
 * One registry per process; collectors and the API take what they need from `metrics()`.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

/** Latency buckets in ms: 50 µs .. 1 s, dense below 1 ms where the hot path lives. */
export const LATENCY_BUCKETS_MS = [
  0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 50, 100, 250, 500, 1000,
];

function build(registry: client.Registry) {
  const reg = [registry];
  return {
    registry,
    tradesProcessed: new client.Counter({
      name: 'trades_processed_total',
      help: 'Trades written to the store (first time only; duplicates are not counted here)',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    // Observed once per trade on the hot path: an allocation-free histogram, same exposition.
    processingLatency: new FastHistogram(
      'processing_latency_ms',
      'Per-trade latency from WebSocket frame received to store acknowledged, in milliseconds',
      'exchange',
      LATENCY_BUCKETS_MS,
      reg,
    ),
    wsMessages: new client.Counter({
      name: 'websocket_messages_total',
      help: 'WebSocket messages received, by exchange message type',
      labelNames: ['exchange', 'type'] as const,
      registers: reg,
    }),
    wsConnected: new client.Gauge({
      name: 'websocket_connected',
      help: '1 while the exchange WebSocket is open and subscribed, else 0',
      labelNames: ['exchange'] as const,
      registers: reg,
    }),
    wsReconnections: new client.Counter({
      name: 'websocket_reconnections_total',
      help: 'WebSocket reconnections after the first connection',
      labelNames: ['exchange'] as const,
      registers: reg,
    }),
    redisOps: new client.Counter({
      name: 'redis_operations_total',
      help: 'Store operations by kind and outcome',
      labelNames: ['operation', 'status'] as const,
      registers: reg,
    }),
    redisLatency: new client.Histogram({
      name: 'redis_operation_latency_ms',
      help: 'Store operation round-trip latency in milliseconds',
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS_MS,
      registers: reg,
    }),
    httpRequests: new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'path', 'status'] as const,
      registers: reg,
    }),
    httpDuration: new client.Histogram({
      name: 'http_request_duration_ms',
      help: 'HTTP request duration in milliseconds by method and route template',
      labelNames: ['method', 'path'] as const,
      buckets: LATENCY_BUCKETS_MS,
      registers: reg,
    }),
    memoryUsage: new client.Gauge({
      name: 'memory_usage_bytes',
      help: 'Resident set size of this process in bytes',
      registers: reg,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    }),
    cpuUsage: cpuGauge(reg),
    uptime: new client.Gauge({
      name: 'uptime_seconds',
      help: 'Seconds since this process started',
      registers: reg,
      collect() {
        this.set(process.uptime());
      },
    }),
    bufferSize: new client.Gauge({
      name: 'buffer_size',
      help: 'Items waiting in memory, by buffer type (pending = trades not yet acknowledged by the store)',
      labelNames: ['type'] as const,
      registers: reg,
    }),
    bufferOverflows: new client.Counter({
      name: 'buffer_overflows_total',
      help: 'Times a buffer reached its limit and reading was paused',
      labelNames: ['type'] as const,
      registers: reg,
    }),
    tradeGaps: new client.Counter({
      name: 'trade_gaps_total',
      help: 'Gaps in trade ids detected',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    tradesBackfilled: new client.Counter({
      name: 'trades_backfilled_total',
      help: 'Trades recovered from the exchange REST API',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    tradesDuplicate: new client.Counter({
      name: 'trades_duplicate_total',
      help: 'Trades dropped because that trade id was already written',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    bookChecksumFailures: new client.Counter({
      name: 'book_checksum_failures_total',
      help: 'Order-book checksum mismatches (Kraken)',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    bookResyncs: new client.Counter({
      name: 'book_resyncs_total',
      help: 'Order-book resynchronisations (fresh snapshot requested)',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    malformed: new client.Counter({
      name: 'malformed_messages_total',
      help: 'Exchange messages (or parts) that could not be used',
      labelNames: ['exchange'] as const,
      registers: reg,
    }),
    // Additions beyond the contract.
    lastMessageAge: new client.Gauge({
      name: 'last_message_age_seconds',
      help: 'Seconds since the last message (including heartbeats) for a market',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
    eventLoopLag: eventLoopGauge(reg),
    unfilledGaps: new client.Counter({
      name: 'trade_gaps_unfilled_total',
      help: 'Trades the exchange no longer served when back-filling (recorded in gaps:{ex:SYM})',
      labelNames: ['exchange', 'symbol'] as const,
      registers: reg,
    }),
  };
}

function cpuGauge(reg: client.Registry[]) {
  let lastUsage = process.cpuUsage();
  let lastTime = process.hrtime.bigint();
  return new client.Gauge({
    name: 'cpu_usage_percent',
    help: 'CPU used by this process since the previous scrape, percent of one core',
    registers: reg,
    collect() {
      const now = process.hrtime.bigint();
      const usage = process.cpuUsage();
      const elapsedUs = Number(now - lastTime) / 1000;
      const usedUs = usage.user - lastUsage.user + (usage.system - lastUsage.system);
      if (elapsedUs > 0) this.set((usedUs / elapsedUs) * 100);
      lastUsage = usage;
      lastTime = now;
    },
  });
}

function eventLoopGauge(reg: client.Registry[]) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return new client.Gauge({
    name: 'event_loop_lag_seconds',
    help: 'Event-loop delay p99 since the previous scrape, seconds',
    registers: reg,
    collect() {
      this.set(h.count > 0 ? h.percentile(99) / 1e9 : 0);
      h.reset();
    },
  });
}

export type Metrics = ReturnType<typeof build>;

let instance: Metrics | undefined;

/** The process-wide metrics (created on first use, with Node's default process metrics). */
export function metrics(): Metrics {
  if (!instance) {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    // Gauges named *_total: promtool flags them; nodejs_active_{handles,requests,resources} carry the same information.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      registry.removeSingleMetric(name);
    }
    instance = build(registry);
  }
  return instance;
}

/** A private set of metrics (tests that run several components in one process). */
export function createMetrics(): Metrics {
  return build(new client.Registry());
}
