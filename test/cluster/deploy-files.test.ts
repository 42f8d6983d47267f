/**
 * The deployment examples, checked without running them (there is no Docker engine here):
 * the compose file and Grafana provisioning parse and mount files that exist, their ports agree
 * with deploy/prometheus.yml, the Dockerfile has the required shape, and the systemd units pass
 * `systemd-analyze verify` (when the tool is installed).
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DEPLOY = join(ROOT, 'deploy');
const COMPOSE = join(DEPLOY, 'docker-compose.yml');

type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  network_mode?: string;
  ports?: string[];
  volumes?: (string | { type: string; source: string; target: string })[];
  depends_on?: Record<string, { condition: string }> | string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const read = (p: string) => readFileSync(p, 'utf8');
const compose = () => parse(read(COMPOSE), { merge: true }) as Compose;
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/docker-compose.yml', () => {
  it('parses, says it is untested, and has every part of the stack', () => {
    expect(read(COMPOSE)).toMatch(/^# .*\n(#.*\n)*# UNTESTED/m);
    const c = compose();
    for (const s of [
      'redis-1',
      'redis-2',
      'redis-3',
      'redis-cluster-init',
      'postgres',
      'pod',
      'collect',
      'serve',
      'archive',
      'prometheus',
      'grafana',
    ]) {
      expect(c.services[s], s).toBeDefined();
    }
  });

  it('mounts only files that exist, and named volumes it declares', () => {
    const c = compose();
    for (const [name, s] of Object.entries(c.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.source;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(resolve(DEPLOY, source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(c.volumes && source in c.volumes, `${name}: volume ${source}`).toBe(true);
        }
      }
      if (s.build) expect(existsSync(resolve(DEPLOY, s.build.context, s.build.dockerfile))).toBe(true);
    }
  });

  it('runs the alphapulse commands against the cluster and PostgreSQL, in the pod Prometheus scrapes', () => {
    const c = compose();
    const commands: Record<string, string> = {};
    for (const name of ['collect', 'serve', 'archive']) {
      const s = c.services[name]!;
      expect(s.network_mode).toBe('service:pod');
      expect(s.image).toBe('alphapulse:local');
      expect(s.environment?.REDIS_URL).toMatch(/^redis:\/\/redis-1:6379$/);
      expect(s.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(s.depends_on).toMatchObject({
        'redis-cluster-init': { condition: 'service_completed_successfully' },
      });
      commands[name] = (s.command as string[])[0]!;
    }
    expect(commands).toEqual({ collect: 'collect', serve: 'serve', archive: 'archive' });
    // Every 127.0.0.1 target of deploy/prometheus.yml is served inside the pod.
    const prom = parse(read(join(DEPLOY, 'prometheus.yml'))) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    const served = new Set([
      Number(c.services.serve!.environment!.API_PORT ?? 3001),
      Number(c.services.collect!.environment!.METRICS_PORT ?? 9091),
    ]);
    for (const t of targets) {
      const [host, port] = t.split(':');
      expect(host).toBe('127.0.0.1');
      expect(served.has(Number(port)), t).toBe(true);
    }
    expect(c.services.prometheus!.network_mode).toBe('service:pod');
    const published = (c.services.pod!.ports ?? []).map((p) => Number(p.split(':').at(-1)));
    expect(published).toEqual(expect.arrayContaining([3001, 9090]));
    // Prometheus loads alerts.yml next to its config, as deploy/prometheus.yml names it.
    const promVolumes = (c.services.prometheus!.volumes as string[]).join(' ');
    expect(promVolumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml');
    expect(promVolumes).toContain('./alerts.yml:/etc/prometheus/alerts.yml');
  });

  it('provisions Grafana with the Prometheus of the pod and the dashboard of the repository', () => {
    const c = compose();
    const grafana = c.services.grafana!;
    const mounts = (grafana.volumes as string[]).map((v) => v.split(':'));
    const provisioning = mounts.find(([, target]) => target === '/etc/grafana/provisioning')!;
    const dir = resolve(DEPLOY, provisioning[0]!);
    const ds = parse(read(join(dir, 'datasources/prometheus.yml'))) as {
      datasources: { type: string; url: string; isDefault: boolean }[];
    };
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://pod:9090', isDefault: true });
    const prov = parse(read(join(dir, 'dashboards/alphapulse.yml'))) as {
      providers: { type: string; options: { path: string } }[];
    };
    const dashMount = mounts.find(([, target]) => target === prov.providers[0]!.options.path)!;
    expect(dashMount).toBeDefined();
    expect(readdirSync(resolve(DEPLOY, dashMount[0]!))).toContain('alphapulse.json');
    expect(JSON.parse(read(join(ROOT, 'dashboards/alphapulse.json'))).uid).toBeTruthy();
  });
});

describe('Dockerfile', () => {
  it('builds from node:20-slim with npm ci + npm run build, runs as non-root, enters bin/alphapulse.js', () => {
    const d = read(join(ROOT, 'Dockerfile'));
    expect(d).toMatch(/UNTESTED/);
    expect(d).toMatch(/^FROM node:20-slim/m);
    expect(d).toMatch(/^RUN npm ci\b/m);
    expect(d).toMatch(/npm run build/);
    const users = [...d.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(d).toMatch(/^ENTRYPOINT \["node", ?"bin\/alphapulse.js"\]$/m);
    // What the image copies must exist.
    for (const m of d.matchAll(/^COPY (?!--from)(\S+ )+(\S+)$/gm)) {
      for (const src of m[0].split(/\s+/).slice(1, -1)) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });
});

describe('deploy/systemd', () => {
  const dir = join(DEPLOY, 'systemd');
  const units = ['alphapulse-collect@.service', 'alphapulse-serve.service', 'alphapulse-archive.service'];

  it('ships the units; the collector is templated by shard', () => {
    for (const u of units) expect(existsSync(join(dir, u)), u).toBe(true);
    const collect = read(join(dir, 'alphapulse-collect@.service'));
    expect(collect).toMatch(/^ExecStart=\S+ \S+alphapulse\.js collect --shard %i\/\$\{SHARD_COUNT\}$/m);
    expect(read(join(dir, 'alphapulse.env.example'))).toMatch(/^SHARD_COUNT=\d+$/m);
  });

  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ap-units-'));
    try {
      const files = units.map((u) => {
        // A template is verified through an instance of it.
        const name = u.replace('@.service', '@0.service');
        copyFileSync(join(dir, u), join(tmp, name));
        return `./${name}`;
      });
      const r = spawnSync('systemd-analyze', ['verify', ...files], { cwd: tmp, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('docs/deployment.md', () => {
  it('exists, marks the Docker files untested and takes its sizing from the benchmarks', () => {
    const doc = read(join(ROOT, 'docs/deployment.md'));
    expect(doc).toMatch(/untested/i);
    expect(doc).toMatch(/\(\.\.\/bench\/RESULTS\.md\)/);
    expect(doc).not.toMatch(/TBD/);
    for (const link of doc.matchAll(/\]\(((?!https?:|#)[^)#]+)/g)) {
      expect(existsSync(resolve(dirname(join(ROOT, 'docs/deployment.md')), link[1]!)), link[1]).toBe(true);
    }
  });
});
