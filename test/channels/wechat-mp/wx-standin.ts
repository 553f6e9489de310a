import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import WebSocket from 'ws';

export const COMPONENT_DIR = fileURLToPath(new URL('../../../../channels/wechat-mp/component/miniprogram_dist/', import.meta.url));

type Fn = (...a: any[]) => void;

/** What the WechatSI plugin stand-in answers; absent: the host app has not declared the plugin. */
export interface PluginStandin { transcript: string }

/**
 * A small stand-in for the mini-program runtime: `wx`, `Component` and `requirePlugin`, with
 * connectSocket backed by a real `ws` client and request/uploadFile by real fetch (multipart
 * for uploads). The component's own files run unchanged in a vm context of their own (no Node
 * globals: what they use must exist in WeChat). Everything the network sends to the component
 * is kept in `received` (the AppSecret test reads it).
 */
export class WxStandin {
  readonly storage = new Map<string, unknown>();
  readonly received: string[] = [];
  readonly toasts: string[] = [];
  readonly played: string[] = [];
  readonly tasks: { ws: WebSocket; url: string }[] = [];
  readonly files = new Map<string, Buffer>();
  readonly uploads: { url: string; form: Record<string, unknown> }[] = [];
  codes: string[] = [];
  language = 'zh_CN';
  plugin?: PluginStandin;
  /** What the next recording / picked image is. */
  recording = { path: 'wxfile://tmp/voice.mp3', duration: 3200 };
  image = 'wxfile://tmp/photo.png';
  recorderDriven = 0;
  pluginDriven = 0;
  private def?: any;

  constructor(opts: { plugin?: PluginStandin; language?: string } = {}) {
    this.plugin = opts.plugin;
    if (opts.language) this.language = opts.language;
  }

  get openSockets(): number { return this.tasks.filter((t) => t.ws.readyState <= 1).length; }

  /** Loads kefu-chat.js as the mini-program would and mounts one instance with these properties. */
  mount(props: Record<string, unknown>): ComponentInstance {
    const context = vm.createContext({ wx: this.wx(), Component: (d: any) => { this.def = d; }, requirePlugin: (n: string) => this.requirePlugin(n),
      console, setTimeout, clearTimeout });
    loadModule(context, join(COMPONENT_DIR, 'kefu-chat.js'), new Map());
    const def = this.def;
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries<any>(def.properties)) properties[k] = k in props ? props[k] : v.value;
    const inst: ComponentInstance = Object.assign(Object.create(null), {
      data: JSON.parse(JSON.stringify(def.data)), properties,
      // Like WeChat, setData serializes: the view layer gets plain data.
      setData(patch: Record<string, unknown>) { Object.assign(inst.data, JSON.parse(JSON.stringify(patch))); },
      show: () => def.pageLifetimes.show.call(inst), hide: () => def.pageLifetimes.hide.call(inst),
      detach: () => def.lifetimes.detached.call(inst),
    });
    for (const [k, fn] of Object.entries<Fn>(def.methods)) (inst as any)[k] = fn.bind(inst);
    def.lifetimes.attached.call(inst);
    return inst;
  }

  private requirePlugin(name: string): unknown {
    if (name !== 'WechatSI' || !this.plugin) throw new Error(`plugin ${name} is not defined in app.json`);
    const self = this;
    // Like WechatSI: one global manager whose callbacks are assigned properties.
    const m: any = {
      start() { self.pluginDriven++; },
      stop() { setImmediate(() => m.onStop?.({ tempFilePath: self.recording.path, duration: self.recording.duration, fileSize: 1, result: self.plugin!.transcript })); },
    };
    return { getRecordRecognitionManager: () => m };
  }

  private wx(): Record<string, unknown> {
    const self = this;
    let recorder: any;
    const keep = (text: string) => { self.received.push(text); return text; };
    return {
      login(o: any) { setImmediate(() => o.success({ code: self.codes.shift() ?? `unknown-code-${Date.now()}` })); },
      request(o: any) {
        fetch(o.url, { method: o.method ?? 'GET', headers: o.header, body: o.data === undefined ? undefined : JSON.stringify(o.data) })
          .then(async (res) => {
            const text = keep(await res.text());
            let data: unknown = text;
            try { data = JSON.parse(text); } catch { /* left as text, like wx.request */ }
            o.success?.({ statusCode: res.status, data, header: Object.fromEntries(res.headers) });
          }, (err) => o.fail?.({ errMsg: `request:fail ${err.message}` }));
      },
      uploadFile(o: any) {
        self.uploads.push({ url: o.url, form: JSON.parse(JSON.stringify(o.formData ?? {})) });
        for (const [k, v] of Object.entries(o.formData ?? {})) if (typeof v !== 'string') throw new Error(`formData.${k} must be a string`);
        const form = new FormData();
        for (const [k, v] of Object.entries<string>(o.formData ?? {})) form.append(k, v);
        form.append(o.name, new Blob([self.files.get(o.filePath) ?? Buffer.alloc(0)]), o.filePath.split('/').pop());
        fetch(o.url, { method: 'POST', headers: o.header, body: form })
          .then(async (res) => o.success?.({ statusCode: res.status, data: keep(await res.text()) }), (err) => o.fail?.({ errMsg: `uploadFile:fail ${err.message}` }));
      },
      connectSocket(o: any) {
        if (self.openSockets >= 5) throw new Error('connectSocket: at most 5 sockets');
        if (!/^wss?:\/\//.test(o.url)) throw new Error('connectSocket needs ws(s)://');
        const ws = new WebSocket(o.url);
        self.tasks.push({ ws, url: o.url });
        const on: Record<string, Fn> = {};
        ws.on('open', () => on.open?.({}));
        ws.on('message', (d) => on.message?.({ data: keep(d.toString()) }));
        ws.on('error', (e) => on.error?.({ errMsg: e.message }));
        ws.on('close', (code, reason) => on.close?.({ code, reason: reason.toString() }));
        return {
          onOpen: (f: Fn) => { on.open = f; }, onMessage: (f: Fn) => { on.message = f; }, onError: (f: Fn) => { on.error = f; }, onClose: (f: Fn) => { on.close = f; },
          send: (x: any) => { if (ws.readyState === 1) ws.send(x.data); else x.fail?.({ errMsg: 'not open' }); },
          close: (x: any = {}) => ws.close(x.code ?? 1000, x.reason),
        };
      },
      getStorageSync: (k: string) => (self.storage.has(k) ? JSON.parse(JSON.stringify(self.storage.get(k))) : ''),
      setStorageSync: (k: string, v: unknown) => { self.storage.set(k, JSON.parse(JSON.stringify(v))); },
      getSystemInfoSync: () => ({ language: self.language }),
      authorize: (o: any) => setImmediate(() => o.success?.({})),
      chooseMedia: (o: any) => setImmediate(() => o.success({ tempFiles: [{ tempFilePath: self.image, size: self.files.get(self.image)?.length ?? 0 }] })),
      showToast: (o: any) => { self.toasts.push(o.title); },
      previewImage: () => {},
      createInnerAudioContext: () => ({ src: '', play() { self.played.push(this.src); }, stop() {}, destroy() {} }),
      getRecorderManager: () => (recorder ??= {
        handlers: {} as Record<string, Fn>,
        onStop(f: Fn) { this.handlers.stop = f; }, onError(f: Fn) { this.handlers.error = f; },
        start() { self.recorderDriven++; },
        stop() { setImmediate(() => this.handlers.stop?.({ tempFilePath: self.recording.path, duration: self.recording.duration, fileSize: 1 })); },
      }),
    };
  }
}

export interface ComponentInstance {
  data: Record<string, any>;
  properties: Record<string, unknown>;
  show(): void;
  hide(): void;
  detach(): void;
  [method: string]: any;
}

/** CommonJS as the mini-program runs it: relative requires only, each file once per context. */
function loadModule(context: vm.Context, file: string, cache: Map<string, unknown>): unknown {
  if (cache.has(file)) return cache.get(file);
  const module = { exports: {} as unknown };
  cache.set(file, module.exports);
  const src = readFileSync(file, 'utf8');
  const fn = vm.runInContext(`(function (require, module, exports) {${src}\n})`, context, { filename: file });
  const req = (spec: string) => {
    if (!spec.startsWith('.')) throw new Error(`the mini-program cannot require "${spec}"`);
    const target = join(dirname(file), spec.endsWith('.js') ? spec : `${spec}.js`);
    return loadModule(context, target, cache);
  };
  fn(req, module, module.exports);
  cache.set(file, module.exports);
  return module.exports;
}
