/**
 * <kefu-chat server="https://kefu.example.com" />: a customer-service chat with kefu agents.
 * Optional: locale ("zh" | "en"; default the WeChat language), queue (a kefu queue name),
 * transcribe (false: voice without the WechatSI transcript), height (CSS, default 100vh).
 */
var ChatSession = require('./lib/chat-session.js').ChatSession;
var i18n = require('./lib/i18n.js');
var view = require('./lib/view.js');
var voice = require('./lib/voice.js');

var MAX_VOICE_MS = 60000;
var MIN_VOICE_MS = 1000;
/* global requirePlugin */
var pluginLoader = typeof requirePlugin === 'function' ? requirePlugin : null;

Component({
  options: { styleIsolation: 'isolated' },
  properties: {
    server: { type: String, value: '' },
    locale: { type: String, value: '' },
    queue: { type: String, value: '' },
    transcribe: { type: Boolean, value: true },
    height: { type: String, value: '' },
  },
  data: { t: {}, items: [], input: '', surveyComment: '', connected: false, offline: false, queueText: '', typingText: '', voiceMode: false, recording: false, scrollTo: '' },
  lifetimes: {
    attached: function () {
      var self = this;
      this.t = i18n.strings(this.properties.locale, wx);
      this.setData({ t: this.t });
      if (!/^https:\/\//.test(this.properties.server) && !/^http:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(this.properties.server)) {
        console.warn('kefu-chat: server must be https:// (on the request, socket and uploadFile legal domains)');
      }
      this.session = new ChatSession({ wx: wx, server: this.properties.server, queue: this.properties.queue || undefined,
        onChange: function (s) { self.render(s); } });
      this.session.start();
    },
    detached: function () {
      if (this.session) this.session.stop();
      if (this.audio) this.audio.destroy();
    },
  },
  // The app going to the background hides the page: the socket is closed and reopened on show
  // (the gateway replays whatever came meanwhile, after the last seq seen).
  pageLifetimes: {
    show: function () { if (this.session) this.session.resume(); },
    hide: function () { if (this.session) this.session.pause(); },
  },
  methods: {
    render: function (s) {
      var v = view.viewOf(s, this.t);
      this.setData(v);
      if (s.error) { wx.showToast({ title: s.error.slice(0, 20), icon: 'none' }); s.error = ''; }
    },
    onInput: function (e) {
      this.setData({ input: e.detail.value });
      this.session.typed();
    },
    onSend: function () {
      this.session.sendText(this.data.input);
      this.setData({ input: '' });
    },
    onSurveyComment: function (e) { this.setData({ surveyComment: e.detail.value }); },
    // A rating tap is the customer's reply "4" (or "4 <comment>"), as an SMS customer would type it.
    onRate: function (e) {
      var n = Number(e.currentTarget.dataset.rating);
      if (!(n >= 1 && n <= 5)) return;
      var comment = String(this.data.surveyComment || '').trim().slice(0, 1000);
      this.session.sendText(comment ? n + ' ' + comment : String(n));
      this.setData({ surveyComment: '' });
    },
    onToggleVoice: function () { this.setData({ voiceMode: !this.data.voiceMode }); },
    onChooseImage: function () {
      var self = this;
      wx.chooseMedia({ count: 1, mediaType: ['image'], sizeType: ['compressed'],
        success: function (r) { var f = r.tempFiles && r.tempFiles[0]; if (f) self.session.sendFile('image', f.tempFilePath); } });
    },
    onVoiceStart: function () {
      var self = this;
      wx.authorize({ scope: 'scope.record',
        success: function () {
          self.setData({ recording: true });
          voice.startRecording(wx, pluginLoader, self.properties.transcribe, { maxMs: MAX_VOICE_MS, lang: self.t === i18n.STRINGS.en ? 'en_US' : 'zh_CN',
            done: function (res) { self.recorded(res); }, error: function () { self.setData({ recording: false }); } });
        },
        fail: function () { wx.showToast({ title: self.t.micDenied, icon: 'none' }); } });
    },
    onVoiceEnd: function () { voice.stopRecording(); },
    recorded: function (res) {
      this.setData({ recording: false });
      if (!res.tempFilePath || res.duration < MIN_VOICE_MS) { wx.showToast({ title: this.t.tooShort, icon: 'none' }); return; }
      this.session.sendFile('voice', res.tempFilePath, { duration: res.duration, transcript: res.transcript });
    },
    onPlay: function (e) {
      if (!this.audio) this.audio = wx.createInnerAudioContext();
      this.audio.stop();
      this.audio.src = e.currentTarget.dataset.src;
      this.audio.play();
    },
    onPreview: function (e) { wx.previewImage({ urls: [e.currentTarget.dataset.src] }); },
    onRetry: function (e) { this.session.retryFailed(e.currentTarget.dataset.key); },
  },
});
