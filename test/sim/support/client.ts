/**
 * A plain WebSocket test client written from the protocol docs (no collector code): it
 * records every frame as received and lets a test wait for a condition.
 */

import { WebSocket } from 'ws';

export interface Frame {
  text: string;
  binary: boolean;
}

export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, binary) => {
      this.frames.push({ text: data.toString(), binary });
      this.notify();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.notify();
    });
    ws.on('error', () => {});
  }

  static open(url: string): Promise<TestClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 << 20 });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Every text frame that parses as JSON, in order (Kraken numbers lose their text here). */
  messages(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const f of this.frames) {
      if (f.binary) continue;
      try {
        out.push(JSON.parse(f.text) as Record<string, unknown>);
      } catch {
        // malformed frames are counted by the tests that inject them
      }
    }
    return out;
  }

  /** Resolves once `condition` holds (checked now and after every frame), rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what} (${this.frames.length} frames received)`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** Polls a condition that does not depend on a client (e.g. the simulator's own state). */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
