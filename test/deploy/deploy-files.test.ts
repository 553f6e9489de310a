import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { applyEnvOverrides, loadConfigFile, parseConfig } from '../../config/load.js';
import { PACKAGE_ROOT } from '../../core/paths.js';
import { ASSET_DIR } from '../../core/http/static-assets.js';
import { DEFAULT_MODEL } from '../../plugins/intent-onnx/model-holder.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { startRedis } from '../helpers/redis.js';
import { execForm, parseCopy, parseDockerfile, parseHealthcheck, type Stage } from './dockerfile.js';
import { interpolate, parseDotEnv, parseYaml } from './compose-yaml.js';
import { bindPorts, healthCheck, parseHaproxy, section, servers } from './haproxy-config.js';

/*
 * The Docker files cannot be built here (no Docker engine): this parses them and checks them
 * against the config they deploy, so a renamed key, a moved port or a lost volume fails here.
 */
const read = (p: string) => readFileSync(join(PACKAGE_ROOT, p), 'utf8');
const defaults = parseConfig('', 'defaults');
const PORTS = [defaults.server.public_port, defaults.server.workspace_port];

const stages = parseDockerfile(read('Dockerfile'));
const [build, runtime] = [stages[0], stages[stages.length - 1]];
const ops = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op);
const workdir = (s: Stage) => ops(s, 'WORKDIR').at(-1)!.args;
const relToRepo = (p: string) => posix.relative(PACKAGE_ROOT, p);

const examples = parseDotEnv(read('deploy/env.example'));
const compose = interpolate(parseYaml(read('docker-compose.yml')), examples) as Record<string, any>;
const services = compose.services as Record<string, Record<string, any>>;
const nodeNames = Object.keys(services).filter((n) => services[n].build !== undefined);
const envOf = (name: string) => services[name].environment as Record<string, string>;
const lb = parseHaproxy(read('deploy/haproxy.cfg'));
const redis = await startRedis();

function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [node, ...args] = parseHealthcheck(ops(runtime, 'HEALTHCHECK')[0].args).command;
  assert.equal(node, 'node', 'the healthcheck runs node itself (no curl in the slim image)');
  return new Promise((res) => execFile(process.execPath, args, { env: { ...process.env, ...env } }, (err) => res(err ? Number(err.code ?? 1) : 0)));
}

describe('deployment files (Dockerfile, docker-compose.yml, deploy/haproxy.cfg) against the config', () => {
  describe('Dockerfile', () => {
    it('is multi-stage: npm ci and the build in the first stage, node:20-bookworm-slim with production dependencies only at run time', () => {
      assert.ok(stages.length >= 2);
      const runs = ops(build, 'RUN').map((r) => r.args).join(' && ');
      assert.match(runs, /npm ci\b/);
      assert.match(runs, /npm run build\b/);
      assert.equal(runtime.from, 'node:20-bookworm-slim');
      const prunedInBuild = /npm prune --omit=dev/.test(runs);
      const ciInRuntime = ops(runtime, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r.args));
      assert.ok(prunedInBuild || ciInRuntime, 'dev dependencies are left out of the runtime image');
      assert.ok(ops(runtime, 'COPY').some((c) => parseCopy(c.args).sources.some((s) => s.endsWith('/node_modules'))) || ciInRuntime);
    });

    it('the first npm ci sees what the install needs: lockfile, .npmrc (onnxruntime skip) unless ENV says it, every file: dependency', () => {
      const firstCi = build.instructions.findIndex((i) => i.op === 'RUN' && /npm ci\b/.test(i.args));
      const copied = build.instructions.slice(0, firstCi).filter((i) => i.op === 'COPY').flatMap((c) => parseCopy(c.args).sources.map((s) => s.replace(/\/$/, '')));
      for (const f of ['package.json', 'package-lock.json']) assert.ok(copied.includes(f) || copied.includes('.'), f);
      const envSkip = build.instructions.slice(0, firstCi).some((i) => i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL[= ]skip/.test(i.args));
      if (!envSkip) {
        assert.match(read('.npmrc'), /^onnxruntime-node-install=skip$/m, 'the repo .npmrc skips the GPU download');
        assert.ok(copied.includes('.npmrc') || copied.includes('.'), '.npmrc is copied before npm ci');
      }
      const pkg = JSON.parse(read('package.json'));
      for (const spec of Object.values<string>({ ...pkg.dependencies, ...pkg.devDependencies }).filter((s) => s.startsWith('file:'))) {
        assert.ok(copied.includes(spec.slice(5)), `${spec} is copied before npm ci`);
      }
    });

    it('the runtime image holds every file the gateway reads by package path, at the same place under WORKDIR', () => {
      const buildDir = workdir(build);
      const appDir = workdir(runtime);
      const copies = ops(runtime, 'COPY').map((c) => parseCopy(c.args)).filter((c) => c.from === build.name);
      const placed: [string, string][] = copies.flatMap((c) => c.sources.map((src): [string, string] => {
        const rel = posix.relative(buildDir, src.replace(/\/$/, ''));
        const isDir = existsSync(join(PACKAGE_ROOT, rel)) && statSync(join(PACKAGE_ROOT, rel)).isDirectory();
        const dest = posix.resolve(appDir, c.dest);
        return [rel, isDir || !c.dest.endsWith('/') ? dest : posix.join(dest, basename(rel))];
      }));
      const needed = ['package.json', 'config/kefu.toml', relToRepo(DEFAULT_MODEL), relToRepo(ASSET_DIR) + '/widget.js',
        relToRepo(ASSET_DIR) + '/workspace.html', 'dist/core/store/sqlite-writer-worker.js', defaults.ai.synonyms, JSON.parse(read('package.json')).bin.kefu];
      for (const file of needed) {
        const rel = posix.normalize(file);
        assert.ok(existsSync(join(PACKAGE_ROOT, rel)), `${rel} exists after npm run build`);
        const hit = placed.find(([src]) => rel === src || rel.startsWith(src + '/'));
        assert.ok(hit, `${rel} is copied into the runtime image`);
        assert.equal(hit[1] + rel.slice(hit[0].length), posix.join(appDir, rel), `${rel} lands where pkgPath finds it`);
      }
      const [node, entry] = [...execForm(ops(runtime, 'ENTRYPOINT')[0].args), ...execForm(ops(runtime, 'CMD')[0].args)];
      assert.equal(node, 'node');
      assert.equal(entry, JSON.parse(read('package.json')).bin.kefu);
      assert.deepEqual(execForm(ops(runtime, 'CMD')[0].args), ['start']);
    });

    it('what the runtime loads from node_modules is a production dependency (so --omit=dev keeps it)', () => {
      const lock = JSON.parse(read('package-lock.json')).packages as Record<string, { dev?: boolean }>;
      // The bundle's externals (scripts/build-assets.mjs) and the SQLite writer worker's imports, file by file.
      const externals = JSON.parse(/external: (\[[^\]]*\])/.exec(read('scripts/build-assets.mjs'))![1].replace(/'/g, '"')) as string[];
      const seen = new Set<string>();
      const walk = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const [, spec] of read(file).matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)) {
          if (spec.startsWith('.')) walk(posix.join(posix.dirname(file), spec));
          else if (!spec.startsWith('node:')) externals.push(spec);
        }
      };
      walk('dist/core/store/sqlite-writer-worker.js');
      assert.ok(externals.includes('better-sqlite3') && externals.includes('onnxruntime-node'), externals.join());
      for (const spec of externals) {
        const name = spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
        const entry = lock[`node_modules/${name}`];
        // Absent: an optional peer (ws's bufferutil) that the code loads only if installed.
        if (entry) assert.ok(!entry.dev, `${name} is loaded at run time but is a dev dependency`);
      }
    });

    it('runs as a non-root user, exposes the default ports and keeps ./data in a volume', () => {
      const user = ops(runtime, 'USER').at(-1)?.args;
      assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
      assert.deepEqual(ops(runtime, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map(Number).sort(), [...PORTS].sort());
      const volumes = ops(runtime, 'VOLUME').flatMap((v) => execForm(v.args));
      const dataDir = posix.resolve(workdir(runtime), posix.dirname(defaults.store.path));
      assert.ok(volumes.includes(dataDir), `VOLUME ${dataDir} (store.path ${defaults.store.path})`);
      assert.ok(posix.resolve(workdir(runtime), defaults.store.media_dir).startsWith(dataDir + '/'), 'single-node media is in the volume');
    });

    it('.dockerignore keeps secrets, data and local builds out, and nothing the build needs', () => {
      const patterns = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      const ignored = (p: string) => patterns.some((pat) => {
        const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
        return re.test(p);
      });
      for (const p of ['.env', '.env.local', 'node_modules', 'dist', 'data', '.git']) assert.ok(ignored(p), `${p} is ignored`);
      for (const p of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.client.json', 'scripts/build-assets.mjs',
        'core/index.ts', 'channels/web/client/widget.ts', 'plugins/intent-onnx/model/default.onnx', 'plugins/wordfilter-example/package.json', 'config/kefu.toml']) {
        assert.ok(!ignored(p), `${p} reaches the build`);
      }
    });
  });

  describe('docker-compose.yml', () => {
    it('reads the same with js-yaml (when installed) as with the subset parser', async function () {
      let yaml: { load(s: string): unknown };
      try { yaml = await import('js-yaml' as string); } catch { this.skip(); }
      const stringify = (v: unknown): unknown => v === null || typeof v !== 'object' ? (v === null ? null : String(v))
        : Array.isArray(v) ? v.map(stringify) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stringify(x)]));
      const theirs = yaml.load(read('docker-compose.yml')) as Record<string, any>;
      assert.deepEqual(stringify(theirs), parseYaml(read('docker-compose.yml')));
      for (const n of nodeNames) for (const v of Object.values(theirs.services[n].environment)) assert.equal(typeof v, 'string', 'env values are strings');
    });

    it('refuses to start without the secrets of .env; the example file holds only placeholders', () => {
      assert.throws(() => interpolate(parseYaml(read('docker-compose.yml')), {}), /required variable \w+ is missing/);
      for (const [k, v] of Object.entries(examples)) assert.match(v, /^change-me-/, `${k} in deploy/env.example is a placeholder`);
      for (const n of nodeNames) assert.equal(envOf(n).KEFU_ADMIN_PASSWORD, examples.KEFU_ADMIN_PASSWORD, 'from .env');
      const raw = parseYaml(read('docker-compose.yml')) as any;
      for (const [name, svc] of Object.entries<any>(raw.services)) {
        for (const [k, v] of Object.entries<string>(svc.environment ?? {})) {
          if (/PASSWORD|SECRET|AUTH/.test(k) || /:\/\/[^/@]*:[^/@]*@/.test(v)) assert.match(v, /\$\{\w+:\?/, `${name} ${k} comes from .env`);
        }
      }
    });

    it('redis and mongo use the official images with healthchecks; mongo keeps its data in a volume', () => {
      assert.match(services.redis.image, /^redis:/);
      assert.match(services.mongo.image, /^mongo:/);
      for (const s of ['redis', 'mongo']) assert.equal(services[s].healthcheck.test[0], 'CMD');
      const mongoVol = (services.mongo.volumes as string[]).find((v) => v.endsWith(':/data/db'))!;
      assert.ok(mongoVol && Object.hasOwn(compose.volumes, mongoVol.split(':')[0]), 'a named volume on /data/db');
      for (const n of nodeNames) for (const dep of ['redis', 'mongo']) assert.equal(services[n].depends_on[dep].condition, 'service_healthy');
    });

    it('every KEFU_* variable of a node is a config key the loader applies, giving cluster mode on MongoDB with distinct node ids', () => {
      assert.ok(nodeNames.length >= 2, 'two kefu nodes');
      const ids = new Set<string>();
      for (const n of nodeNames) {
        const env = envOf(n);
        const cfg = loadConfigFile(join(PACKAGE_ROOT, 'config', 'kefu.toml'), env);
        assert.equal(cfg.cluster.mode, 'redis');
        assert.equal(cfg.store.driver, 'mongodb');
        assert.ok(cfg.cluster.node_id, 'node_id set');
        ids.add(cfg.cluster.node_id);
        for (const [k, v] of Object.entries(env).filter(([k]) => k.startsWith('KEFU_'))) {
          if (!k.includes('__')) { assert.ok(['KEFU_ADMIN_PASSWORD', 'KEFU_CONFIG'].includes(k), `${k} is read by kefu`); continue; }
          const path = k.slice(5).toLowerCase().split('__');
          const applied = path.reduce<any>((o, p) => o?.[p], cfg);
          const given = path.reduce<any>((o, p) => o?.[p], applyEnvOverrides({}, { [k]: v }));
          assert.deepEqual(applied, given, `${k} is applied as given`);
          assert.notDeepEqual(applied, path.reduce<any>((o, p) => o?.[p], defaults), `${k} changes ${path.join('.')}`);
        }
        assert.equal(new URL(cfg.cluster.redis_url).hostname, 'redis');
        assert.equal(new URL(cfg.store.url).hostname, 'mongo');
        assert.deepEqual(cfg.cluster.nodes, nodeNames.map((m) => `http://${m}:${defaults.server.public_port}`));
        const others = { ...env, KEFU_CLUSTER__NODE_ID: '' };
        assert.deepEqual(others, { ...envOf(nodeNames[0]), KEFU_CLUSTER__NODE_ID: '' }, `${n} differs from ${nodeNames[0]} only in its node id`);
      }
      assert.equal(ids.size, nodeNames.length, 'node ids differ');
    });

    it('the mongo user the nodes log in as is the one deploy/mongo-init.js creates', () => {
      const url = new URL(loadConfigFile(join(PACKAGE_ROOT, 'config', 'kefu.toml'), envOf(nodeNames[0])).store.url);
      const init = read('deploy/mongo-init.js');
      assert.match(init, new RegExp(`getSiblingDB\\('${url.searchParams.get('authSource')}'\\)\\.createUser\\(\\{ user: '${url.username}'`));
      assert.match(init, /readWrite', db: 'kefu'/);
      assert.equal(decodeURIComponent(url.password), services.mongo.environment.KEFU_MONGO_PASSWORD);
      assert.ok((services.mongo.volumes as string[]).includes('./deploy/mongo-init.js:/docker-entrypoint-initdb.d/kefu-user.js:ro'));
    });

    it('nodes share one media volume at media_dir and keep their own data volume at the image VOLUME', () => {
      const dataDir = execForm(ops(runtime, 'VOLUME')[0].args)[0];
      const named = (n: string, target: string) => (services[n].volumes as string[]).map((v) => v.split(':')).find(([, t]) => t === target)?.[0];
      const media = nodeNames.map((n) => named(n, posix.resolve(workdir(runtime), loadConfigFile(join(PACKAGE_ROOT, 'config', 'kefu.toml'), envOf(n)).store.media_dir)));
      assert.ok(media[0] && media.every((m) => m === media[0]), `one media volume for all nodes: ${media}`);
      const data = nodeNames.map((n) => named(n, dataDir));
      assert.ok(data.every(Boolean) && new Set(data).size === data.length, `a data volume per node: ${data}`);
      for (const v of [...media, ...data]) assert.ok(Object.hasOwn(compose.volumes, v!), `${v} declared`);
    });

    it('the balancer publishes the default ports and is the one proxy the nodes trust', () => {
      const published = (services.lb.ports as string[]).map((p) => p.split(':'));
      assert.deepEqual(published.map((p) => Number(p.at(-1))).sort(), [...PORTS].sort());
      for (const p of published) assert.equal(p.at(-2), p.at(-1), 'same port on the host');
      const ip = services.lb.networks.kefu.ipv4_address;
      const subnet: string = compose.networks.kefu.ipam.config[0].subnet;
      assert.ok(subnet.endsWith('/24') && ip.startsWith(subnet.split('/')[0].replace(/\.0$/, '.')), `${ip} in ${subnet}`);
      for (const n of nodeNames) {
        assert.deepEqual(loadConfigFile(join(PACKAGE_ROOT, 'config', 'kefu.toml'), envOf(n)).server.trusted_proxies, [ip]);
        assert.deepEqual(services[n].networks, ['kefu']);
      }
      assert.ok((services.lb.volumes as string[]).includes('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro'));
    });
  });

  describe('deploy/haproxy.cfg', () => {
    const frontends = lb.filter((s) => s.kind === 'frontend');
    const portOf = { public: defaults.server.public_port, workspace: defaults.server.workspace_port };

    it('binds both ports and sends each to every node on that port, health-checked on the workspace port', () => {
      assert.deepEqual(frontends.flatMap(bindPorts).sort(), [...PORTS].sort());
      for (const [name, port] of Object.entries(portOf)) {
        const fe = frontends.find((f) => bindPorts(f).includes(port))!;
        assert.equal(fe.name, name);
        const ready = fe.lines.find((l) => l.startsWith('default_backend '))!.split(' ')[1];
        const live = /^use_backend (\S+) if \{ nbsrv\((\S+)\) eq 0 \}$/.exec(fe.lines.find((l) => l.startsWith('use_backend '))!)!;
        assert.equal(live[2], ready, 'the fallback is used only when no node is ready');
        for (const [be, path] of [[ready, '/readyz'], [live[1], '/healthz']]) {
          const b = section(lb, 'backend', be);
          assert.deepEqual(healthCheck(b), { method: 'GET', path, expect: 'status 200' }, be);
          const list = servers(b);
          assert.deepEqual(list.map((s) => `${s.host}:${s.port}`), nodeNames.map((n) => `${n}:${port}`), be);
          for (const s of list) { assert.ok(s.check, `${be} ${s.name} check`); assert.equal(s.checkPort, defaults.server.workspace_port, 'health routes live on the workspace port'); }
        }
      }
    });

    it('passes WebSocket upgrades: mode http, a tunnel timeout, nothing strips Upgrade or Connection', () => {
      const all = lb.flatMap((s) => s.lines);
      assert.ok(section(lb, 'defaults').lines.includes('mode http'));
      assert.ok(!all.some((l) => /^mode tcp/.test(l)));
      assert.ok(section(lb, 'defaults').lines.some((l) => /^timeout tunnel \d+[smh]$/.test(l)), 'idle sockets are not cut by the http timeouts');
      assert.ok(!all.some((l) => /(del-header|set-header|replace-header)\s+(Upgrade|Connection)\b/i.test(l)), 'Upgrade and Connection pass through');
      assert.ok(all.includes('option forwardfor'), 'client addresses for the per-address limits');
    });
  });

  describe('the health routes on a real gateway', () => {
    let gw: TestGateway;
    before(async () => { gw = await startGateway(); });
    after(async () => { await gw?.close(); });

    it('/readyz and /healthz answer 200 on the workspace port (not /readyz on the public one), and the image HEALTHCHECK passes', async () => {
      const { command } = parseHealthcheck(ops(runtime, 'HEALTHCHECK')[0].args);
      assert.match(command.join(' '), new RegExp(`\\|\\| ${defaults.server.workspace_port}\\) \\+ '/healthz'`), 'checks /healthz on the default workspace port');
      for (const path of ['/readyz', '/healthz']) assert.equal((await fetch(`${gw.workspaceUrl}${path}`)).status, 200, path);
      assert.equal((await fetch(`${gw.publicUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${gw.publicUrl}/readyz`)).status, 404, 'so the balancer checks port 8000 servers on 9000');
      assert.equal(await runHealthcheck({ KEFU_SERVER__WORKSPACE_PORT: String(gw.workspacePort) }), 0);
    });

    it('the image HEALTHCHECK fails when nothing answers', async () => {
      const other = await startGateway();
      const port = other.workspacePort;
      await other.close();
      assert.notEqual(await runHealthcheck({ KEFU_SERVER__WORKSPACE_PORT: String(port) }), 0);
    });
  });

  describe('a cluster node through a Redis outage (why the image checks /healthz and the balancer /readyz)', () => {
    if ('skip' in redis) { it.skip(`needs redis-server: ${redis.skip}`); return; }
    let gw: TestGateway;
    before(async () => { gw = await startGateway(`[cluster]\nredis_url = "${redis.url}"\nnode_id = "kefu1"\n`); });
    after(async () => { await gw?.close(); await redis.close(); });

    it('/readyz goes 503 and back by itself while /healthz and the HEALTHCHECK stay green', async () => {
      const status = async (p: string) => (await fetch(`${gw.workspaceUrl}${p}`)).status;
      assert.equal(await status('/readyz'), 200);
      await redis.stop();
      await eventually(async () => (await status('/readyz')) === 503, 'readyz 503 with Redis down');
      assert.equal(await status('/healthz'), 200);
      assert.equal(await runHealthcheck({ KEFU_SERVER__WORKSPACE_PORT: String(gw.workspacePort) }), 0, 'Docker would not mark it unhealthy');
      await redis.start();
      await eventually(async () => (await status('/readyz')) === 200, 'readyz 200 again', 20_000);
    });
  });
});
