/**
 * The kefu visitor protocol for one component: wx.login → a visitor token, one SocketTask
 * (WeChat allows 5 per mini-program) with hello/resume-by-seq, sends kept in an outbox until
 * the gateway acks them (resent with the same clientId, which the gateway dedupes), images and
 * voice through wx.uploadFile. No UI here: `onChange` gets the state after every change.
 * Written for the mini-program JS engine: no Node, no DOM, no optional chaining.
 */
var MAX_BACKOFF_MS = 30000;
var TYPING_EVERY_MS = 3000;

function rid() {
  var s = Date.now().toString(36);
  while (s.length < 24) s += Math.floor(Math.random() * 36).toString(36);
  return s;
}

function ChatSession(o) {
  this.wx = o.wx;
  this.server = String(o.server || '').replace(/\/+$/, '');
  this.queue = o.queue || undefined;
  this.onChange = o.onChange || function () {};
  this.key = 'kefu:' + this.server;
  this.token = this.load('token') || '';
  this.messages = {}; // by id, or by clientId while pending
  this.lastSeq = 0;
  this.outbox = this.load('outbox') || {}; // clientId → send frame, kept across app restarts
  this.uploads = {}; // clientId → { kind, filePath, form }
  this.online = 0;
  this.connected = false;
  this.queueState = null;
  this.typing = null;
  this.task = null;
  this.retry = 0;
  this.timer = null;
  this.paused = false;
  this.stopped = false;
  this.lastTyping = 0;
  this.error = '';
  for (var id in this.outbox) this.addPending(id, { kind: 'text', text: this.outbox[id].text });
}

ChatSession.prototype.load = function (name) {
  try { return this.wx.getStorageSync(this.key + ':' + name) || undefined; } catch (e) { return undefined; }
};
ChatSession.prototype.save = function (name, value) {
  try { this.wx.setStorageSync(this.key + ':' + name, value); } catch (e) { /* storage full: the outbox still lives in memory */ }
};
ChatSession.prototype.changed = function () { this.onChange(this); };

ChatSession.prototype.start = function () {
  var self = this;
  return this.session().then(function () { self.connect(); }, function (err) { self.problem = err.message; self.reconnectLater(); });
};

/** A visitor token: the stored one, or a new one from a wx.login code (the AppSecret stays on the server). */
ChatSession.prototype.session = function () {
  var self = this;
  if (this.token) return Promise.resolve();
  return new Promise(function (resolve, reject) {
    self.wx.login({
      success: function (r) {
        self.wx.request({
          url: self.server + '/channels/wechat-mp/session', method: 'POST', header: { 'content-type': 'application/json' }, data: { code: r.code },
          success: function (res) {
            var b = res.data || {};
            if (res.statusCode !== 200 || !b.token) return reject(new Error((b.error && b.error.code) || 'session ' + res.statusCode));
            self.token = b.token;
            self.online = b.agentsOnline || 0;
            self.save('token', self.token);
            resolve();
          },
          fail: function (e) { reject(new Error(e.errMsg || 'request failed')); },
        });
      },
      fail: function (e) { reject(new Error(e.errMsg || 'wx.login failed')); },
    });
  });
};

ChatSession.prototype.connect = function () {
  var self = this;
  if (this.stopped || this.paused || this.task) return; // one socket per component, ever
  clearTimeout(this.timer);
  var task = this.wx.connectSocket({ url: this.server.replace(/^http/, 'ws') + '/ws/wechat-mp' });
  this.task = task;
  task.onOpen(function () {
    task.send({ data: JSON.stringify({ type: 'hello', token: self.token, after: self.lastSeq, queue: self.queue }) });
  });
  task.onMessage(function (ev) {
    var f;
    try { f = JSON.parse(ev.data); } catch (e) { return; }
    self.frame(f);
  });
  task.onError(function () { /* onClose follows */ });
  task.onClose(function () {
    if (self.task !== task) return;
    self.task = null;
    self.connected = false;
    self.changed();
    self.reconnectLater();
  });
};

ChatSession.prototype.reconnectLater = function () {
  var self = this;
  if (this.stopped || this.paused) return;
  clearTimeout(this.timer);
  var wait = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, this.retry++)) * (0.5 + Math.random() / 2);
  this.timer = setTimeout(function () { self.start(); }, wait);
};

ChatSession.prototype.send = function (frame) {
  if (this.task && this.connected) this.task.send({ data: JSON.stringify(frame) });
};

ChatSession.prototype.frame = function (f) {
  switch (f.type) {
    case 'welcome':
      this.connected = true;
      this.retry = 0;
      this.online = f.agentsOnline;
      for (var id in this.outbox) this.send(this.outbox[id]); // same clientId: stored once
      for (var u in this.uploads) if (!this.uploads[u].busy) this.upload(u);
      break;
    case 'message': this.upsert(f.message, false); break;
    case 'ack': {
      delete this.outbox[f.clientId];
      this.save('outbox', this.outbox);
      var m = this.messages[f.clientId];
      if (m) { delete this.messages[f.clientId]; m.id = f.id; m.seq = f.seq; m.pending = false; if (f.sentAt) m.sentAt = f.sentAt; this.upsert(m, true); }
      break;
    }
    case 'presence': this.online = f.agentsOnline; break;
    case 'queue': this.queueState = { position: f.position, etaSeconds: f.etaSeconds, open: f.open }; break;
    case 'typing': this.typing = { name: f.from && f.from.name, until: Date.now() + 4000 }; break;
    case 'error': this.serverError(f); break;
    default: return;
  }
  this.changed();
};

ChatSession.prototype.serverError = function (f) {
  var self = this;
  if (f.code === 'invalid_token') { // expired, or the mini-program's appid changed: log in again
    this.token = '';
    this.save('token', '');
    return;
  }
  if (!f.clientId || !this.outbox[f.clientId]) { this.error = f.message; return; }
  if (f.code === 'rate_limited') {
    setTimeout(function () { if (self.outbox[f.clientId]) self.send(self.outbox[f.clientId]); }, (f.retryAfter || 5) * 1000);
    return;
  }
  delete this.outbox[f.clientId];
  this.save('outbox', this.outbox);
  var m = this.messages[f.clientId];
  if (m) m.failed = true;
  this.error = f.message;
};

/** Sends a failed message again, with its clientId (so it is still stored at most once). */
ChatSession.prototype.retryFailed = function (clientId) {
  var m = this.messages[clientId];
  if (!m || !m.failed) return;
  m.failed = false;
  var v = m.local;
  if (v.kind === 'text') {
    this.outbox[clientId] = { type: 'send', clientId: clientId, text: v.text };
    this.save('outbox', this.outbox);
    this.send(this.outbox[clientId]);
  } else {
    this.uploads[clientId] = { kind: v.kind, filePath: v.filePath, form: v.form };
    this.upload(clientId);
  }
  this.changed();
};

/**
 * `fromAck`: our own message, confirmed. It does not move the resume point: an agent message
 * with a lower seq may still be on its way (a replay of our own message is matched by id).
 */
ChatSession.prototype.upsert = function (m, fromAck) {
  if (m.clientId && this.messages[m.clientId]) delete this.messages[m.clientId];
  if (m.clientId) delete this.uploads[m.clientId];
  var known = !!this.messages[m.id];
  this.messages[m.id] = m;
  if (!known && !fromAck && m.seq > this.lastSeq) this.lastSeq = m.seq;
  var c = m.content;
  if (c && c.kind === 'event' && (c.event === 'assigned' || c.event === 'resolved')) this.queueState = null;
  if (m.direction === 'outbound') this.typing = null;
};

ChatSession.prototype.addPending = function (clientId, view) {
  this.messages[clientId] = { id: clientId, clientId: clientId, seq: 0, direction: 'inbound', pending: true, local: view,
    content: view.kind === 'text' ? { kind: 'text', text: view.text } : { kind: 'media', attachments: [], caption: view.transcript }, sentAt: new Date().toISOString() };
};

ChatSession.prototype.sendText = function (text) {
  text = String(text || '').trim();
  if (!text) return;
  var clientId = rid();
  this.outbox[clientId] = { type: 'send', clientId: clientId, text: text };
  this.save('outbox', this.outbox);
  this.addPending(clientId, { kind: 'text', text: text });
  this.send(this.outbox[clientId]);
  this.changed();
};

/** An image or a voice recording; formData values must be strings (wx.uploadFile drops others). */
ChatSession.prototype.sendFile = function (kind, filePath, extra) {
  var clientId = rid();
  var form = { clientId: clientId };
  if (extra && extra.duration) form.duration = String(Math.round(extra.duration));
  if (extra && extra.transcript) form.transcript = String(extra.transcript);
  this.uploads[clientId] = { kind: kind, filePath: filePath, form: form };
  this.addPending(clientId, { kind: kind, filePath: filePath, form: form, duration: extra && extra.duration, transcript: extra && extra.transcript });
  this.upload(clientId);
  this.changed();
};

ChatSession.prototype.upload = function (clientId) {
  var self = this;
  var u = this.uploads[clientId];
  if (!u || !this.token) return;
  u.busy = true;
  this.wx.uploadFile({
    url: this.server + '/channels/wechat-mp/uploads/' + u.kind, filePath: u.filePath, name: 'file', formData: u.form,
    header: { Authorization: 'Bearer ' + this.token },
    success: function (res) {
      u.busy = false;
      var b;
      try { b = JSON.parse(res.data); } catch (e) { b = {}; }
      if ((res.statusCode === 200 || res.statusCode === 201) && b.message) { self.upsert(b.message, true); self.changed(); return; }
      if (res.statusCode === 401) { self.token = ''; self.save('token', ''); return; } // next welcome retries it
      if (res.statusCode === 429 || res.statusCode >= 500) return; // kept: retried on the next welcome
      delete self.uploads[clientId];
      var m = self.messages[clientId];
      if (m) m.failed = true;
      self.error = (b.error && b.error.message) || 'upload failed';
      self.changed();
    },
    fail: function () { u.busy = false; }, // offline: retried on the next welcome
  });
};

/** Tells the agent the customer is typing, at most every few seconds. */
ChatSession.prototype.typed = function () {
  var now = Date.now();
  if (now - this.lastTyping < TYPING_EVERY_MS) return;
  this.lastTyping = now;
  this.send({ type: 'typing' });
};

/** Page hidden (or the app in the background): close the socket; the gateway keeps everything. */
ChatSession.prototype.pause = function () {
  this.paused = true;
  clearTimeout(this.timer);
  var task = this.task;
  this.task = null;
  this.connected = false;
  if (task) task.close({ code: 1000, reason: 'hidden' });
};

/** Shown again: reconnect at once and resume after the last seq seen. */
ChatSession.prototype.resume = function () {
  if (!this.paused) return;
  this.paused = false;
  this.retry = 0;
  this.start();
};

ChatSession.prototype.stop = function () {
  this.pause();
  this.stopped = true;
};

/** Messages in conversation order (pending ones last, in the order they were written). */
ChatSession.prototype.list = function () {
  var all = [];
  for (var k in this.messages) all.push(this.messages[k]);
  return all.sort(function (a, b) { return (a.seq || 1e15) - (b.seq || 1e15) || (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0); });
};

module.exports = { ChatSession: ChatSession };
