/** The component's words in Chinese and English; `locale` wins, else the WeChat language. */
var STRINGS = {
  zh: {
    title: '在线客服', welcome: '您好，请问有什么可以帮您？', placeholder: '输入消息…', send: '发送', connecting: '正在连接…',
    offline: '当前没有客服在线，请留言，我们回来后会在这里答复您。', closed: '客服当前不在工作时间，请留言。',
    queue: '您前面还有 {n} 位，预计等待 {m} 分钟', typing: '{name}正在输入…', agent: '客服', image: '图片', voice: '语音',
    holdToTalk: '按住 说话', release: '松开 发送', tooShort: '说话时间太短', micDenied: '需要麦克风权限才能发送语音',
    sending: '发送中…', failed: '发送失败，点击重试', transcript: '语音转文字', uploadFailed: '上传失败',
    surveyComment: '补充评价（可选），然后点击评分', rated: '感谢您的评价！您打了 {n} 分。', worst: '很差', best: '非常满意',
  },
  en: {
    title: 'Customer service', welcome: 'Hi! How can we help you today?', placeholder: 'Type a message…', send: 'Send', connecting: 'Connecting…',
    offline: 'No agent is online right now. Leave a message and we will answer here as soon as we are back.', closed: 'We are closed right now; leave a message.',
    queue: '{n} ahead of you, about {m} min', typing: '{name} is typing…', agent: 'Agent', image: 'Image', voice: 'Voice',
    holdToTalk: 'Hold to talk', release: 'Release to send', tooShort: 'Too short to send', micDenied: 'Voice messages need the microphone',
    sending: 'Sending…', failed: 'Not sent, tap to retry', transcript: 'Transcript', uploadFailed: 'Upload failed',
    surveyComment: 'A comment (optional), then tap a rating', rated: 'Thank you! You rated us {n} of 5.', worst: 'Very poor', best: 'Excellent',
  },
};

function pickLocale(locale, wx) {
  var l = locale;
  if (!l) {
    try { l = (wx.getAppBaseInfo ? wx.getAppBaseInfo() : wx.getSystemInfoSync()).language; } catch (e) { l = 'zh_CN'; }
  }
  return /^en/i.test(String(l || '')) ? 'en' : 'zh';
}

function strings(locale, wx) { return STRINGS[pickLocale(locale, wx)]; }

/** Fills {n}-style slots. */
function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? '' : String(values[k]); });
}

module.exports = { STRINGS: STRINGS, strings: strings, pickLocale: pickLocale, fill: fill };
