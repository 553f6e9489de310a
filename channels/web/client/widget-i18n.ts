const en = {
  title: 'Customer service', open: 'Open chat', close: 'Close chat', image: 'Send an image', placeholder: 'Type a message…',
  send: 'Send', powered: 'Powered by kefu', online: 'We are online', offline: 'Leave us a message', connecting: 'Connecting…',
  welcome: 'Hi! How can we help you today?', sending: 'Sending…', failed: 'Not sent', agent: 'Agent',
  typing: (n: string) => `${n} is typing…`, rateLimited: (s: number) => `You are sending too fast. Retrying in ${s}s.`,
  uploadFailed: 'The image could not be uploaded.', deleted: 'This message was deleted.',
  queue: (n: number, s: number) => `You are #${n} in line${s > 0 ? `, about ${Math.max(1, Math.round(s / 60))} min` : ''}.`,
  closed: 'We are closed right now; your message is kept for when we open.',
  file: 'File', download: 'Download',
  surveyTitle: 'How would you rate the help you got?', surveyComment: 'A comment (optional), then tap a rating',
  ratingLabels: ['Very poor', 'Poor', 'OK', 'Good', 'Excellent'], rated: (n: number) => `Thank you! You rated us ${n} of 5.`,
};
const zh: typeof en = {
  title: '在线客服', open: '打开聊天', close: '关闭', image: '发送图片', placeholder: '请输入消息…',
  send: '发送', powered: 'kefu 提供技术支持', online: '客服在线', offline: '请留言，我们会尽快回复', connecting: '连接中…',
  welcome: '您好！请问有什么可以帮您？', sending: '发送中…', failed: '发送失败', agent: '客服',
  typing: (n: string) => `${n} 正在输入…`, rateLimited: (s: number) => `发送太快了，${s} 秒后重试。`,
  uploadFailed: '图片上传失败。', deleted: '此消息已删除。',
  queue: (n: number, s: number) => `您在第 ${n} 位${s > 0 ? `，预计等待约 ${Math.max(1, Math.round(s / 60))} 分钟` : ''}。`,
  closed: '当前非服务时间，您的消息已保留，上班后客服会尽快回复。',
  file: '文件', download: '下载',
  surveyTitle: '请对本次服务进行评价', surveyComment: '补充评价（可选），然后点击评分',
  ratingLabels: ['很差', '较差', '一般', '满意', '非常满意'], rated: (n: number) => `感谢您的评价！您打了 ${n} 分。`,
};
export type Strings = typeof en;

export function strings(locale: string): Strings {
  return locale.toLowerCase().startsWith('zh') ? zh : en;
}
