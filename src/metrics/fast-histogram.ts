/**
 * A histogram for per-trade observations on the hot path. prom-client's Histogram builds
 * an object per observation (about 90 bytes of garbage each, at 100k trades/s); this one
 * only increments a bucket counter, and renders the same exposition (`_bucket{le}`, `_sum`,
 * `_count`) when scraped. One label, values fixed at first use.
 */

import type client from 'prom-client';

interface Series {
  counts: Float64Array;
  sum: number;
  count: number;
}

export interface FastHistogramChild {
  observe(value: number): void;
}

export class FastHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, Series>();
  private readonly children = new Map<string, FastHistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly buckets: readonly number[],
    registers: readonly client.Registry[],
  ) {
    for (const r of registers) r.registerMetric(this as unknown as client.Metric);
  }

  labels(value: string): FastHistogramChild {
    let child = this.children.get(value);
    if (!child) {
      const s: Series = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(value, s);
      const bounds = this.buckets;
      child = {
        observe(v: number) {
          s.sum += v;
          s.count++;
          for (let i = 0; i < bounds.length; i++) {
            if (v <= bounds[i]!) {
              s.counts[i]!++;
              return;
            }
          }
        },
      };
      this.children.set(value, child);
    }
    return child;
  }

  /** prom-client's metric shape, as its own histograms render it. */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [label, s] of this.series) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({
          labels: { le: this.buckets[i]!, [this.labelName]: label },
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({
        labels: { le: '+Inf', [this.labelName]: label },
        value: s.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { [this.labelName]: label }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.labelName]: label }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every series in place (children handed out keep working). */
  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
