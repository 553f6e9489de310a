#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pkgPath } from '../paths.js';
import { ConfigError, ConfigSource, loadConfigFile } from '../../config/load.js';

const HELP: Record<string, string> = {
  main: `kefu — omnichannel customer-service gateway

Usage: kefu <command> [options]   (also installed as kefu-cli)

Commands:
  start                     run the gateway (public port 8000, workspace port 9000)
  agent add|list|disable|enable   manage agent accounts
  config check [FILE]       validate a configuration file
  simulate SCENARIO.toml    compare routing strategies on a simulated contact center
  train --input F --output M   train an intent model (ONNX) from labelled text or conversation logs
  eval --model M --input F  accuracy, macro-F1, per-intent precision/recall, confusions
  classify [--model M] [TEXT…]   top intents as JSON lines (no TEXT: one text per stdin line)
  token create|list|revoke  bot tokens for the Slack-compatible API
  export --from D --to D --output F     conversation logs as CSV or JSONL
  analyze --input F --output report.html [--filter EXPR] [--model M]   HTML report with an intent word cloud

Options:
  -c, --config FILE         configuration file (default: ./config/kefu.toml, else the built-in default;
                            or env KEFU_CONFIG)
  -h, --help                help for any command`,
  start: `Usage: kefu start [--config FILE] [--workers N]

Starts one gateway node. On first start it creates an admin agent and prints its login
(password from KEFU_ADMIN_PASSWORD when set). SIGTERM/SIGINT shut down gracefully.

--workers N (default [cluster] workers, 1): N gateway processes on this machine sharing the
ports, each a cluster node (<node_id>-w1 … -wN), supervised (a crashed one is restarted). N > 1
needs cluster mode ([cluster] redis_url) and [store] driver = "mongodb".`,
  agent: `Usage:
  kefu agent add --login LOGIN [--name NAME] [--password PW] [--role agent|admin] [--capacity N] [--skills q1,q2]
  kefu agent list
  kefu agent disable LOGIN
  kefu agent enable LOGIN

Without --password a random one is generated and printed once. Works on the store named in
the config; run it where the gateway's data directory is.`,
  simulate: `Usage: kefu simulate SCENARIO.toml [--strategy weighted,priority,fifo]

Runs a deterministic simulation (arrival rates per queue over time, agents with capacities and
handling times, dropouts) through the gateway's own assignment code and prints, per queue and
strategy, the wait p50/p95/max, abandonment and agent utilization. Scenarios: bench/scenarios/.`,
  train: `Usage: kefu train --input FILE --output model.onnx [options]

FILE: CSV with a header (text column: text|utterance|query; label column: label|intent|category),
JSONL ({"text": …, "label": …} per line), or conversation logs from \`kefu export\` (rows with
conversation_id, role, text, intent): customer messages with an intent are examples, and a
customer message the bot answered with intent X followed by a request for a human becomes a
negative example for X (weight --negative-weight).

The hand-off keywords come from --config FILE (else KEFU_CONFIG, else ./config/kefu.toml): a config
named or present that does not load is an error (exit 1); with none at all the defaults are used.

--valid FILE (same formats; never trained on) scores the model after every epoch. Progress goes to
stderr: on a terminal one line updated in place, elsewhere (CI logs) one line per epoch, each with
the loss, the validation accuracy and the time left (mean epoch time × epochs left). --quiet: none.

Options (defaults chosen by 5-fold cross-validation on BANKING77's train split):
  --dim 100  --epochs 100  --lr 0.5  --dropout 0.7  --label-smoothing 0  --min-count 1  --seed 1
  --token-dropout 0.15   drop whole words (with their n-grams) while training
  --negative-weight 3
  --ensemble 1   K > 1 trains K members (seeds seed…seed+K-1) averaged in one ONNX graph: K times
                 the training time and model size, usually a little more accurate`,
  eval: `Usage: kefu eval --model model.onnx --input FILE [--top 10]

Scores FILE with the model through onnxruntime (as the gateway does) and prints accuracy,
macro-F1, per-intent precision/recall/F1 and the most frequent confusions.`,
  classify: `Usage: kefu classify [--model model.onnx] [--top 3] [TEXT…]

Prints one JSON line per text, in order: {"text": …, "results": [{"label": …, "score": …}, …]},
the --top most likely intents first. Without TEXT it reads stdin, one text per line (lines that
arrive together are scored in one model run). Without --model: the shipped default model.
Reads no config and starts no gateway.

  kefu classify --model data/model.onnx "我要退货"
  cut -f2 tickets.tsv | kefu classify --model data/model.onnx --top 1 > intents.jsonl`,
  token: `Usage:
  kefu token create --name NAME --scopes chat:write,channels:read,…
  kefu token list
  kefu token revoke NAME|ID

Scopes: chat:write, channels:read, channels:history, users:read, files:write, files:read, kefu:handoff,
intent:read (POST /v1/intent).
The token (xoxb-kefu-…) is printed once; only its SHA-256 is stored.`,
  export: `Usage: kefu export [--from 2026-11-01] [--to 2026-11-30] --output logs.csv|logs.jsonl

One row per message: conversation_id, channel, queue, intent, intent_score, role, text, time,
session_duration_s, message_count, handed_off, csat. Dates are server receive time; a bare --to
date includes that whole day. Private notes are not exported.`,
  analyze: `Usage: kefu analyze --input=logs.csv --output=report.html [--filter=EXPR] [--model=model.onnx]

Streams a CSV/JSONL log of any size (see kefu export) and writes ONE self-contained HTML report:
intent word cloud, intent distribution, volume by hour and weekday, session durations, hand-off
rate by intent, top questions the bot could not answer, per-channel breakdown.
--filter, in Chinese or English field names, with units:
  会话时长>30s   duration>=2m   渠道=wechat   消息数>=3 and 意图!=问候   channel in (web,sms)
  fields: duration/会话时长 messages/消息数 channel/渠道 intent/意图 queue/队列 role/角色 text/内容
          handed_off/转人工 score/置信度 csat/满意度; operators = != > >= < <= ~(contains) in; and or not ( )
--model labels rows that have no intent with an intent model.`,
  config: `Usage: kefu config check [FILE]

Validates FILE (default: the config kefu would use) and prints every problem with its key.`,
};

const DEFAULT_CONFIG = pkgPath('config', 'kefu.toml');

function configPath(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.KEFU_CONFIG) return resolve(process.env.KEFU_CONFIG);
  const local = resolve('config/kefu.toml');
  return existsSync(local) ? local : DEFAULT_CONFIG;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' },
      login: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' },
      capacity: { type: 'string' }, skills: { type: 'string' }, strategy: { type: 'string' },
      input: { type: 'string' }, output: { type: 'string' }, model: { type: 'string' }, dim: { type: 'string' }, epochs: { type: 'string' },
      lr: { type: 'string' }, dropout: { type: 'string' }, 'label-smoothing': { type: 'string' }, 'min-count': { type: 'string' }, ensemble: { type: 'string' }, 'token-dropout': { type: 'string' },
      seed: { type: 'string' }, 'negative-weight': { type: 'string' }, top: { type: 'string' }, quiet: { type: 'boolean' }, valid: { type: 'string' },
      scopes: { type: 'string' }, workers: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, filter: { type: 'string' },
    },
  });
  const [command, sub, arg] = positionals;
  if (!command || (values.help && !HELP[command])) { console.log(HELP.main); return values.help ? 0 : 1; }
  if (values.help) { console.log(HELP[command]); return 0; }

  switch (command) {
    case 'start': {
      const source = ConfigSource.fromFile(configPath(values.config));
      const w = await import('./workers.js');
      const workers = w.workerCount(values.workers, source.current);
      const host = (h: string) => (h === '0.0.0.0' || h === '::' ? 'localhost' : h);
      const c = source.current.server;
      const banner = (publicPort: number, workspacePort: number, what: string) => console.log(`  kefu is running${what} (config ${source.file})
    demo shop + widget:  http://${host(c.host)}:${publicPort}/demo
    agent workspace:     http://${host(c.workspace_host)}:${workspacePort}/
`);
      if (workers > 1 && !w.isWorker()) {
        w.checkWorkers(source.current, workers);
        source.close();
        return w.superviseWorkers({ count: workers, config: source.current,
          onListening: (ports) => banner(ports[0].publicPort, ports[0].workspacePort, ` with ${workers} workers: ${ports.map((p) => p.node).join(', ')}`) });
      }
      const { createGateway } = await import('../index.js');
      const gw = await createGateway({
        config: source,
        // A worker's lines name it: N processes write to one stdout.
        logger: w.isWorker() ? (await import('pino')).pino({ level: source.current.log.level, base: { svc: 'kefu', node: source.current.cluster.node_id } }) : undefined,
        onAdminCreated: (login, password) => console.log(`\n  First start: created admin agent\n    login:    ${login}\n    password: ${password}\n`),
      });
      let signals = 0;
      const shutdown = (sig: string) => {
        // The primary's stop after a Ctrl-C (which the worker got too) is not a second signal.
        if (sig !== 'primary' && ++signals > 1) process.exit(1);
        gw.logger.info({ sig }, 'shutting down');
        gw.stop().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
      };
      if (w.isWorker()) w.serveAsWorker({ publicPort: gw.publicPort, workspacePort: gw.workspacePort }, () => shutdown('primary'));
      else banner(gw.publicPort, gw.workspacePort, '');
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      return -1; // keep running
    }
    case 'simulate': {
      if (!sub) { console.log(HELP.simulate); return 1; }
      const { loadScenario, formatResults } = await import('../routing/scenario.js');
      const { simulate, drawCustomers } = await import('../routing/simulator.js');
      const scenario = loadScenario(sub);
      const strategies = String(values.strategy ?? 'fifo,priority,weighted').split(',') as ('fifo' | 'priority' | 'weighted')[];
      const customers = drawCustomers(scenario);
      const results = strategies.map((st) => simulate(scenario, st, customers, scenario.aging));
      console.log(formatResults(scenario, results));
      return 0;
    }
    case 'train':
    case 'eval':
    case 'classify': {
      const { trainCommand, evalCommand, classifyCommand } = await import('../../plugins/intent-onnx/cli.js');
      return command === 'train' ? trainCommand(values) : command === 'eval' ? evalCommand(values) : classifyCommand(values, positionals.slice(1));
    }
    case 'export':
    case 'analyze': {
      const { exportCommand, analyzeCommand } = await import('../../plugins/analytics/cli.js');
      return command === 'export' ? exportCommand(values, configPath(values.config)) : analyzeCommand(values);
    }
    case 'token':
      return tokenCommand(sub, arg, values, configPath(values.config));
    case 'agent':
      return agentCommand(sub, arg, values, configPath(values.config));
    case 'config': {
      if (sub !== 'check') { console.log(HELP.config); return 1; }
      const file = configPath(arg ?? values.config);
      const checked = loadConfigFile(file);
      (await import('./workers.js')).checkWorkers(checked, checked.cluster.workers);
      console.log(`${file}: OK`);
      return 0;
    }
    default:
      console.error(`Unknown command "${command}".\n`);
      console.log(HELP.main);
      return 1;
  }
}

async function tokenCommand(sub: string | undefined, arg: string | undefined, v: Record<string, string | boolean | undefined>, cfgFile: string): Promise<number> {
  const { openConfiguredStore } = await import('../store/open-store.js');
  const { ApiTokens } = await import('../../channels/api/tokens.js');
  const cfg = loadConfigFile(cfgFile);
  const store = await openConfiguredStore(cfg.store);
  const tokens = new ApiTokens(store.tokens, () => cfg.channels.api.bots);
  try {
    switch (sub) {
      case 'create': {
        if (typeof v.name !== 'string' || typeof v.scopes !== 'string') { console.error('--name and --scopes are required\n'); console.log(HELP.token); return 1; }
        const { token, record } = await tokens.create(v.name, v.scopes.split(',').map((s) => s.trim()).filter(Boolean));
        console.log(`created ${record.name} (${record.id}) with ${record.scopes.join(', ')}\ntoken: ${token}\n(shown once; store it now)`);
        return 0;
      }
      case 'list':
        console.log(['name', 'id', 'scopes', 'created', 'status'].join('\t'));
        for (const t of await tokens.list()) console.log([t.name, t.id, t.scopes.join(','), t.createdAt.toISOString(), t.revokedAt ? 'revoked' : 'active'].join('\t'));
        return 0;
      case 'revoke': {
        if (!arg) { console.log(HELP.token); return 1; }
        const r = await tokens.revoke(arg);
        console.log(`revoked ${r.name} (${r.id})`);
        return 0;
      }
      default:
        console.log(HELP.token);
        return 1;
    }
  } finally {
    await store.close();
  }
}

async function agentCommand(sub: string | undefined, arg: string | undefined, v: Record<string, string | boolean | undefined>, cfgFile: string): Promise<number> {
  const { openConfiguredStore } = await import('../store/open-store.js');
  const { AgentAccounts } = await import('../auth/agents.js');
  const { randomToken } = await import('../model/ids.js');
  const cfg = loadConfigFile(cfgFile);
  const store = await openConfiguredStore(cfg.store);
  const accounts = new AgentAccounts(store, () => cfg.routing.default_capacity, () => cfg.auth.session_ttl_h * 3600_000);
  try {
    switch (sub) {
      case 'add': {
        if (typeof v.login !== 'string') { console.error('--login is required\n'); console.log(HELP.agent); return 1; }
        const password = typeof v.password === 'string' ? v.password : randomToken(12);
        const capacity = v.capacity !== undefined ? Number(v.capacity) : undefined;
        if (capacity !== undefined && !(Number.isInteger(capacity) && capacity > 0)) { console.error('--capacity must be a positive integer'); return 1; }
        const role = v.role === 'admin' ? 'admin' : 'agent';
        if (v.role !== undefined && v.role !== 'admin' && v.role !== 'agent') { console.error('--role must be agent or admin'); return 1; }
        const skills = typeof v.skills === 'string' ? v.skills.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
        const a = await accounts.create({ login: v.login, name: v.name as string | undefined, password, role, capacity, skills });
        console.log(`added ${a.role} ${a.login} (capacity ${a.capacity})${v.password ? '' : `\npassword: ${password}`}`);
        return 0;
      }
      case 'list': {
        const rows = await store.listAgents();
        console.log(['login', 'name', 'role', 'capacity', 'skills', 'status'].join('\t'));
        for (const a of rows) console.log([a.login, a.name, a.role, a.capacity, a.skills.join(',') || '*', a.disabled ? 'disabled' : 'active'].join('\t'));
        return 0;
      }
      case 'disable':
      case 'enable': {
        if (!arg) { console.log(HELP.agent); return 1; }
        await accounts.setDisabled(arg, sub === 'disable');
        console.log(`${arg} ${sub}d`);
        return 0;
      }
      default:
        console.log(HELP.agent);
        return 1;
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exitCode = code; }, (err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else if (err?.code && typeof err.code === 'string' && err.toJSON) console.error(`error: ${err.code}: ${err.message}`);
  else if (err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') console.error(err.message);
  else console.error(err);
  process.exitCode = err instanceof ConfigError || err?.code === 'workers_need_cluster' ? 2 : 1;
});
