/**
 * Push-to-talk recording. With the WechatSI plugin (declared in the host's app.json) the
 * recording also gets a transcript made on the device; without it the RecorderManager records
 * audio only. Both drive the one global recorder of the mini-program, so exactly one of them is
 * chosen, once, and its callbacks are registered once and handed to whoever started recording
 * (several kefu-chat components may exist on different pages).
 */
var chosen = null;
var owner = null;

function choose(wx, requirePluginFn, useTranscript) {
  if (chosen) return chosen;
  var si = null;
  if (useTranscript && typeof requirePluginFn === 'function') {
    try { si = requirePluginFn('WechatSI'); } catch (e) { si = null; } // not declared in app.json
  }
  if (si && si.getRecordRecognitionManager) {
    var m = si.getRecordRecognitionManager();
    // WechatSI's callbacks are assigned, not registered.
    m.onStop = function (res) { finish({ tempFilePath: res.tempFilePath, duration: res.duration, transcript: res.result || '' }); };
    m.onError = function (res) { failed(res && (res.msg || res.retcode)); };
    chosen = { transcribes: true, start: function (o) { m.start({ duration: o.maxMs, lang: o.lang }); }, stop: function () { m.stop(); } };
  } else {
    var r = wx.getRecorderManager();
    r.onStop(function (res) { finish({ tempFilePath: res.tempFilePath, duration: res.duration }); });
    r.onError(function (res) { failed(res && res.errMsg); });
    // mp3: what browsers play in the agent's workspace.
    chosen = { transcribes: false, start: function (o) { r.start({ duration: o.maxMs, format: 'mp3', sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000 }); }, stop: function () { r.stop(); } };
  }
  return chosen;
}

function finish(res) { var o = owner; owner = null; if (o) o.done(res); }
function failed(why) { var o = owner; owner = null; if (o) o.error(String(why || 'recorder error')); }

/** Starts recording for `o` ({ done(res), error(msg), maxMs, lang }); a second caller takes the recorder over. */
function startRecording(wx, requirePluginFn, useTranscript, o) {
  var rec = choose(wx, requirePluginFn, useTranscript);
  owner = o;
  rec.start(o);
  return rec;
}

function stopRecording() { if (chosen && owner) chosen.stop(); }

/** For tests: forget the chosen recorder (a new stand-in environment). */
function reset() { chosen = null; owner = null; }

module.exports = { startRecording: startRecording, stopRecording: stopRecording, reset: reset };
