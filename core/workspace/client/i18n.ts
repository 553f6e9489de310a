/**
 * Every string of the workspace, in English and Chinese (the widget's catalogue is the model:
 * channels/web/client/widget-i18n.ts). The language follows the browser until the agent picks one
 * in the bar; the pick is remembered in this browser.
 */
const en = {
  // Login and bar
  loginTitle: 'kefu workspace', login: 'Login', password: 'Password', logIn: 'Log in', sessionEnded: 'Your session ended. Please log in again.',
  connecting: 'Connecting…', reconnecting: 'Reconnecting…', connected: 'Connected', online: '● Online', away: '◐ Away', status: 'status',
  canned: 'Canned replies', logOut: 'Log out', language: 'Language', search: 'Search', searchShort: '⌕',
  // List
  mine: 'Mine', waiting: 'Waiting', all: 'All', queues: 'Queues', snoozed: 'Snoozed', nothingHere: 'Nothing here right now.',
  // Chat pane
  pick: 'Pick a conversation', pickHint: 'Waiting conversations are assigned to you automatically while you are online.',
  replyMine: 'Reply… (Enter to send, Shift+Enter for a new line)', replyTake: 'Reply to take this conversation…', reply: 'reply',
  transfer: 'transfer', transferTo: 'Transfer to…', queuePrefix: (q: string) => `Queue: ${q}`, transferred: 'Transferred',
  take: 'Take', returnToQueue: 'Return to queue', close: 'Close', back: 'back to the list', sendImage: 'Send an image', image: 'Image',
  privateNote: 'Private note', send: 'Send', customer: 'Customer', typing: (n: string) => `${n} is typing…`, uploadFailed: 'Upload failed',
  ticketState: 'Ticket state',
  // Search
  searchTitle: 'Search messages and customers', searchPlaceholder: 'Words, an order number, a name… (Chinese is segmented)',
  anyChannel: 'Any channel', anyQueue: 'Any queue', anyAgent: 'Any agent', anyStatus: 'Any status', anyLabel: 'Any label',
  open: 'Open', resolved: 'Resolved', from: 'From', to: 'To', searchGo: 'Search', closeDialog: 'Close',
  messagesFound: (n: number, more: boolean) => `${n}${more ? '+' : ''} message${n === 1 && !more ? '' : 's'}`,
  customersFound: 'Customers', noResults: 'No message matches. Try fewer or other words.', more: 'More results', searching: 'Searching…',
  // Labels
  labelled: (l: string, n: number) => `Labelled ${l} (${n})`, labels: 'Labels', addLabel: 'Add a label…', removeLabel: (l: string) => `Remove label ${l}`, labelAdd: 'Add',
  // Snooze
  snooze: 'Snooze', snoozeFor: 'Snooze…', snooze1h: 'For 1 hour', snooze4h: 'For 4 hours', snoozeTomorrow: 'Until tomorrow 9:00',
  snoozeWeek: 'Until next Monday 9:00', snoozeReply: 'Until the customer replies', snoozePick: 'Until a date and time…',
  snoozedUntil: (when: string) => `Snoozed until ${when}`, snoozedReply: 'Snoozed until the customer replies', unsnooze: 'Unsnooze',
  untilReplyShort: 'until reply',
  status_bot: 'bot', status_queued: 'queued', status_assigned: 'assigned', status_pending: 'pending', status_resolved: 'resolved',
  snoozePrompt: 'Snooze until (YYYY-MM-DD HH:MM):', snoozeBack: (n: string) => `${n} is back from snooze`, badTime: 'That is not a time in the future.',
  // Notifications
  notifyAssigned: (n: string) => `New conversation: ${n}`, notifyReply: (n: string) => `${n} replied`,
  enableNotify: 'Desktop notifications are off for this site; allow them in the browser to hear about new conversations.',
  notifyUnavailable: 'Desktop notifications do not work in this browser; the tab title still counts unread messages.',
  // SLA clocks (sla-view.ts); durations stay compact (12m, 3h 5m, 2d 4h) in both languages
  sla_first_response: 'first response', sla_next_response: 'next response', sla_resolution: 'resolution',
  slaBreachedToast: (target: string, n: string) => `SLA breached: ${target} · ${n}`, slaBreachedNow: 'breached just now',
  slaBreachedAgo: (d: string) => `breached ${d} ago`, slaWasDue: (target: string, at: string) => `SLA ${target} was due ${at}`,
  slaLeft: (d: string) => `${d} left`, slaLeftTitle: (target: string, d: string, at: string) => `SLA ${target}: ${d} of business time left (due ${at})`,
  slaPaused: 'paused', slaPausedTitle: 'SLA paused: waiting on the customer', unassigned: 'unassigned',
  slaNoBreach: 'No breach in the open conversations.', slaBreaches: 'SLA breaches',
  slaQueueHeads: ['Queue', 'Open with SLA', 'In breach now', 'By target', 'Breached while open'],
  slaAgentHeads: ['Agent', 'In breach now', 'Breached while open'],
  // Satisfaction totals in the Queues tab (csat-view.ts)
  csatTitle: 'Satisfaction', csatQueue: 'Queue', csatAgent: 'Agent', csatToday: 'Today', csatWeek: 'Last 7 days',
  csatHeads: ['Period', 'Answered', 'Average', 'CSAT % (4–5)', 'Surveys asked', 'Response rate'], csatNone: 'No survey asked in the last 7 days.',
  // Delivery of replies to push channels (delivery-view.ts)
  dlvRetrying: 'Sending… retrying', dlvSending: 'Sending…', dlvSent: 'Sent', dlvDelivered: 'Delivered', dlvRead: 'Read',
  dlvAttemptFailed: (n: number, code: string, msg: string) => `Attempt ${n} failed (${code}): ${msg}. Trying again automatically.`,
  dlvQueuedAt: (at: string) => `Queued ${at}`, dlvSentAt: (at: string) => `Sent ${at}`, dlvDeliveredAt: (at: string) => `Delivered ${at}`,
  dlvReadAt: (at: string) => `Read ${at}`, dlvVendorId: (id: string) => ` · vendor id ${id}`,
  dlvAttempts: (n: number) => `${n} attempt${n === 1 ? '' : 's'}`, dlvNotDelivered: (why: string) => `Not delivered: ${why}`,
  dlvGaveUp: 'the channel gave up', dlvRetry: 'Retry', dlvRetryingButton: 'Retrying…', dlvRetryFailed: (e: string) => `Retry failed: ${e}`,
  networkError: 'network error', now: 'now', imagePreview: '[image]', filePreview: '[file]',
  needsAttention: (e: string) => `Needs attention: ${e}`,
  // The Queues tab (supervisor view in side.ts)
  supQueues: 'Queues', supLive: 'live', supOpen: 'open', supClosed: 'closed', noAgent: 'no agent',
  supQueueLine: (name: string, p: number, w: number) => `${name} · priority ${p} · weight ${w}`, supMax: (d: string) => `max ${d}`,
  supHeads: ['Queue', 'Hours', 'Waiting', 'Longest wait', 'Agents (load/capacity)'], supChannels: 'Channels',
  supChannelHeads: ['Channel', 'State', 'Detail', 'Since'], supNeedsAttention: 'Needs attention', supProblemHeads: ['Channel', 'Time', 'Reason', 'Kept as', ''],
  supNoHealth: 'No channel reports its health.', supNothing: 'Nothing needs attention.', authFailed: 'auth failed',
  supDismiss: 'Dismiss', supDismissTitle: 'Dealt with: remove it from this list (the file stays downloadable by admins)',
  supDismissError: (e: string) => `Dismiss: ${e}`, qrAlt: 'WeChat login QR code', qrContent: 'Code content: ',
  qrNoPicture: 'No picture could be drawn; make a QR code of this text and scan it: ',
  // Canned replies (canned.ts)
  cannedError: (e: string) => `Canned replies: ${e}`, cannedManager: 'canned replies', cannedShortcutHint: 'refund', cannedTitleHint: 'Refund policy',
  cannedTextHint: 'Hi {customer.name}, …', cannedIntentsHint: 'intents, comma separated', cannedScope: 'scope', cannedMine: 'Mine', cannedTeam: 'Team',
  cannedDelete: 'Delete', cannedNone: 'No canned replies yet.', cannedNoMatch: (q: string) => `No canned reply matches /${q}`, cannedAdd: 'Add',
  cannedHelp: 'Type / in a reply box to insert one. Variables: {customer.name}, {agent.name}, {conversation.id}.',
  cannedHeads: ['Shortcut', 'Title', 'Text', 'Library', 'Intents', ''],
  // Messages, files, voice (message-view.ts, audio-view.ts)
  messageDeleted: 'Message deleted', sendingMeta: 'sending…', privateMeta: ' · private note', download: 'Download', imageAlt: 'image', file: 'file',
  downloadName: (n: string) => `Download ${n}`, transcript: 'Transcript: ',
  // Channel-specific (channel-view.ts, channel-wechat.ts)
  optedOut: 'Opted out (STOP)', optedOutTitle: 'The customer texted STOP: nothing can be sent until they text START.',
  optedOutHint: 'This customer has opted out (texted STOP). Replies will not be delivered until they text START; private notes still work.',
  privateNotSms: 'Private note · not sent by SMS',
  segments: (n: number, enc: string, used: string) => `${n} segment${n === 1 ? '' : 's'} · ${enc} · ${used}`,
  showQuoted: 'Show quoted text', hideQuoted: 'Hide quoted text', loading: 'Loading…', quotedFailed: (e: string) => `Could not load the quoted text: ${e}`,
  wxClosed: 'Closed: the customer must write first', wxNoQuota: 'No messages left until the customer writes',
  wxLeft: (d: string, n: number, max: number) => `${d} left · ${n} of ${max} messages`, wxWindow: 'Reply window', wxOpenedFrom: 'Opened from',
  // Contact in the side panel (contact-view.ts)
  ctContact: 'Contact', ctError: (e: string) => `Contact: ${e}`, ctName: 'Name', ctCompany: 'Company', ctTags: 'Tags', ctNotes: 'Notes', ctSave: 'Save',
  ctVerified: 'verified', ctUnverified: 'unverified', ctSplit: 'Split', ctSplitTitle: 'Not the same person: move this address (and what it told us) to a new contact',
  ctSplitConfirm: (k: string) => `Split ${k} off into a new contact?`, ctOpenTitle: 'Open this conversation to reply on its channel', ctLastUsed: 'last used',
  ctMaybeSame: 'This may be the same person as ', ctLink: 'Link', ctFindPlaceholder: 'Find a contact to link…', ctFind: 'Find a contact',
  ctHistory: 'History', ctIdentities: 'Identities', ctConversations: (n: number) => `Conversations (${n})`,
  ctLinkConfirm: (n: string) => `Link ${n} into this contact?`, ctNoMatch: 'No other contact matches.', ctSearchError: (e: string) => `Search: ${e}`,
  ctHistoryError: (e: string) => `History: ${e}`, ctAudit_created: 'created', ctAudit_auto_link: 'auto link', ctAudit_link: 'link', ctAudit_split: 'split',
  ctAudit_edit: 'edit', ctAudit_start: 'started a conversation',
  ctWriteEmail: 'Write by e-mail', ctWriteSms: 'Write by SMS', ctWriteOn: (c: string) => `Write on ${c}`, ctSubject: 'Subject',
  ctFirstMessage: 'The first message…', ctCancel: 'Cancel', ctStartError: (e: string) => `Could not start the conversation: ${e}`,
  // Customer details in the side panel (side.ts)
  cdEmail: 'E-mail', cdPhone: 'Phone', cdSms: 'SMS', cdDepartment: 'Department', cdTitle: 'Title', cdGroup: 'Group', cdCc: 'Cc', cdTicket: 'Ticket',
  cdName: 'Name', cdId: 'Id', cdChannel: 'Channel', cdQueue: 'Queue', cdSince: 'Since', cdMessages: 'Messages', cdTags: 'Tags', cdTeam: 'Team',
  ticket_open: 'open', ticket_pending: 'pending', ticket_solved: 'solved',
  cdShow: 'Customer and contact', cdHide: 'Back to the conversation',
  brandWorkspace: ' workspace',
  // System events written by the server, shown by type (message-view.ts eventText)
  evCsat: (q: string) => `Satisfaction survey sent: ${q}`, evAssigned: (n: string) => `${n} joined the conversation`,
  evResolved: (n: string) => `${n} closed the conversation`, evTheAgent: 'The agent', evJoin: 'Opened the chat',
  evJoinFrom: (f: string) => `Opened the chat from "${f}"`, visitorName: (code: string) => `Visitor ${code}`, wechatUserName: (code: string) => `WeChat user ${code}`,
  cdSatisfaction: 'Satisfaction', cdComment: 'Comment', cdSurveyDue: (at: string) => `survey due ${at}`, cdSurveyAsked: 'asked, no answer yet',
};

const zh: typeof en = {
  loginTitle: 'kefu 客服工作台', login: '账号', password: '密码', logIn: '登录', sessionEnded: '会话已过期，请重新登录。',
  connecting: '连接中…', reconnecting: '重新连接中…', connected: '已连接', online: '● 在线', away: '◐ 离开', status: '状态',
  canned: '快捷回复', logOut: '退出', language: '语言', search: '搜索', searchShort: '⌕',
  mine: '我的', waiting: '排队中', all: '全部', queues: '队列', snoozed: '已暂缓', nothingHere: '暂时没有会话。',
  pick: '请选择一个会话', pickHint: '在线时，排队的会话会自动分配给您。',
  replyMine: '回复…（Enter 发送，Shift+Enter 换行）', replyTake: '回复即接入此会话…', reply: '回复',
  transfer: '转接', transferTo: '转接给…', queuePrefix: (q: string) => `队列：${q}`, transferred: '已转接',
  take: '接入', returnToQueue: '退回队列', close: '结束', back: '返回列表', sendImage: '发送图片', image: '图片',
  privateNote: '内部备注', send: '发送', customer: '客户', typing: (n: string) => `${n} 正在输入…`, uploadFailed: '上传失败',
  ticketState: '工单状态',
  searchTitle: '搜索消息和客户', searchPlaceholder: '关键词、订单号、姓名…（支持中文分词）',
  anyChannel: '全部渠道', anyQueue: '全部队列', anyAgent: '全部客服', anyStatus: '全部状态', anyLabel: '全部标签',
  open: '进行中', resolved: '已结束', from: '从', to: '到', searchGo: '搜索', closeDialog: '关闭',
  messagesFound: (n: number, more: boolean) => `${n}${more ? '+' : ''} 条消息`,
  customersFound: '客户', noResults: '没有匹配的消息，请换个关键词试试。', more: '更多结果', searching: '搜索中…',
  labelled: (l: string, n: number) => `标签「${l}」（${n}）`, labels: '标签', addLabel: '添加标签…', removeLabel: (l: string) => `移除标签 ${l}`, labelAdd: '添加',
  snooze: '暂缓', snoozeFor: '暂缓…', snooze1h: '1 小时', snooze4h: '4 小时', snoozeTomorrow: '到明天 9:00',
  snoozeWeek: '到下周一 9:00', snoozeReply: '到客户回复为止', snoozePick: '选择日期和时间…',
  snoozedUntil: (when: string) => `暂缓到 ${when}`, snoozedReply: '暂缓到客户回复', unsnooze: '取消暂缓',
  untilReplyShort: '待回复',
  status_bot: '机器人', status_queued: '排队', status_assigned: '已接入', status_pending: '待处理', status_resolved: '已结束',
  snoozePrompt: '暂缓到（YYYY-MM-DD HH:MM）：', snoozeBack: (n: string) => `${n} 的暂缓已结束`, badTime: '请输入一个将来的时间。',
  notifyAssigned: (n: string) => `新会话：${n}`, notifyReply: (n: string) => `${n} 回复了`,
  enableNotify: '此网站的桌面通知已关闭；请在浏览器中允许通知，以便收到新会话提醒。',
  notifyUnavailable: '此浏览器无法显示桌面通知；标签页标题仍会显示未读消息数。',
  sla_first_response: '首次响应', sla_next_response: '后续响应', sla_resolution: '解决',
  slaBreachedToast: (target: string, n: string) => `SLA 超时：${target} · ${n}`, slaBreachedNow: '刚刚超时',
  slaBreachedAgo: (d: string) => `已超时 ${d}`, slaWasDue: (target: string, at: string) => `SLA ${target} 应于 ${at} 完成`,
  slaLeft: (d: string) => `剩余 ${d}`, slaLeftTitle: (target: string, d: string, at: string) => `SLA ${target}：剩余工作时间 ${d}（截止 ${at}）`,
  slaPaused: '已暂停', slaPausedTitle: 'SLA 已暂停：等待客户回复', unassigned: '未分配',
  slaNoBreach: '进行中的会话没有超时。', slaBreaches: 'SLA 超时',
  slaQueueHeads: ['队列', '有 SLA 的进行中会话', '当前超时', '按目标', '进行中曾超时'],
  slaAgentHeads: ['客服', '当前超时', '进行中曾超时'],
  csatTitle: '满意度', csatQueue: '队列', csatAgent: '客服', csatToday: '今天', csatWeek: '近 7 天',
  csatHeads: ['时段', '已评价', '平均分', '满意率（4–5 分）', '已发送调查', '回复率'], csatNone: '近 7 天没有发出满意度调查。',
  dlvRetrying: '发送中… 重试', dlvSending: '发送中…', dlvSent: '已发送', dlvDelivered: '已送达', dlvRead: '已读',
  dlvAttemptFailed: (n: number, code: string, msg: string) => `第 ${n} 次尝试失败（${code}）：${msg}。将自动重试。`,
  dlvQueuedAt: (at: string) => `${at} 排队`, dlvSentAt: (at: string) => `${at} 已发送`, dlvDeliveredAt: (at: string) => `${at} 已送达`,
  dlvReadAt: (at: string) => `${at} 已读`, dlvVendorId: (id: string) => ` · 渠道消息 ID ${id}`,
  dlvAttempts: (n: number) => `尝试 ${n} 次`, dlvNotDelivered: (why: string) => `未送达：${why}`,
  dlvGaveUp: '渠道已放弃发送', dlvRetry: '重试', dlvRetryingButton: '重试中…', dlvRetryFailed: (e: string) => `重试失败：${e}`,
  networkError: '网络错误', now: '刚刚', imagePreview: '[图片]', filePreview: '[文件]',
  needsAttention: (e: string) => `需要处理：${e}`,
  supQueues: '队列', supLive: '实时', supOpen: '服务中', supClosed: '非服务时间', noAgent: '无客服',
  supQueueLine: (name: string, p: number, w: number) => `${name} · 优先级 ${p} · 权重 ${w}`, supMax: (d: string) => `最长 ${d}`,
  supHeads: ['队列', '服务时间', '排队', '最长等待', '客服（负载/容量）'], supChannels: '渠道',
  supChannelHeads: ['渠道', '状态', '详情', '起始'], supNeedsAttention: '需要处理', supProblemHeads: ['渠道', '时间', '原因', '保存为', ''],
  supNoHealth: '没有渠道上报状态。', supNothing: '没有需要处理的事项。', authFailed: '认证失败',
  supDismiss: '忽略', supDismissTitle: '已处理：从列表中移除（管理员仍可下载文件）',
  supDismissError: (e: string) => `忽略失败：${e}`, qrAlt: '微信登录二维码', qrContent: '二维码内容：',
  qrNoPicture: '无法生成图片；请将以下文字生成二维码后扫描：',
  cannedError: (e: string) => `快捷回复：${e}`, cannedManager: '快捷回复', cannedShortcutHint: 'tuikuan', cannedTitleHint: '退款政策',
  cannedTextHint: '您好 {customer.name}，…', cannedIntentsHint: '意图，用逗号分隔', cannedScope: '范围', cannedMine: '我的', cannedTeam: '团队',
  cannedDelete: '删除', cannedNone: '还没有快捷回复。', cannedNoMatch: (q: string) => `没有匹配 /${q} 的快捷回复`, cannedAdd: '添加',
  cannedHelp: '在回复框输入 / 即可插入。变量：{customer.name}、{agent.name}、{conversation.id}。',
  cannedHeads: ['快捷键', '标题', '内容', '所属', '意图', ''],
  messageDeleted: '消息已删除', sendingMeta: '发送中…', privateMeta: ' · 内部备注', download: '下载', imageAlt: '图片', file: '文件',
  downloadName: (n: string) => `下载 ${n}`, transcript: '语音转文字：',
  optedOut: '已退订（STOP）', optedOutTitle: '客户回复了 STOP：在其回复 START 之前无法发送任何消息。',
  optedOutHint: '该客户已退订（回复了 STOP）。在其回复 START 之前，回复不会送达；内部备注仍可使用。',
  privateNotSms: '内部备注 · 不会通过短信发送',
  segments: (n: number, enc: string, used: string) => `${n} 条短信 · ${enc} · ${used}`,
  showQuoted: '显示引用内容', hideQuoted: '隐藏引用内容', loading: '加载中…', quotedFailed: (e: string) => `无法加载引用内容：${e}`,
  wxClosed: '已关闭：需客户先发消息', wxNoQuota: '客户再次发消息前无法继续发送',
  wxLeft: (d: string, n: number, max: number) => `剩余 ${d} · 已发 ${n}/${max} 条`, wxWindow: '回复窗口', wxOpenedFrom: '进入来源',
  ctContact: '联系人', ctError: (e: string) => `联系人：${e}`, ctName: '姓名', ctCompany: '公司', ctTags: '标签', ctNotes: '备注', ctSave: '保存',
  ctVerified: '已验证', ctUnverified: '未验证', ctSplit: '拆分', ctSplitTitle: '不是同一个人：将此地址（及其带来的信息）移到新联系人',
  ctSplitConfirm: (k: string) => `将 ${k} 拆分为新联系人？`, ctOpenTitle: '打开此会话，在它的渠道上回复', ctLastUsed: '最近使用',
  ctMaybeSame: '可能与此人是同一人：', ctLink: '关联', ctFindPlaceholder: '查找要关联的联系人…', ctFind: '查找联系人',
  ctHistory: '历史记录', ctIdentities: '身份', ctConversations: (n: number) => `会话（${n}）`,
  ctLinkConfirm: (n: string) => `将 ${n} 关联到此联系人？`, ctNoMatch: '没有其他匹配的联系人。', ctSearchError: (e: string) => `搜索：${e}`,
  ctHistoryError: (e: string) => `历史记录：${e}`, ctAudit_created: '创建', ctAudit_auto_link: '自动关联', ctAudit_link: '关联', ctAudit_split: '拆分',
  ctAudit_edit: '编辑', ctAudit_start: '发起会话',
  ctWriteEmail: '发邮件', ctWriteSms: '发短信', ctWriteOn: (c: string) => `通过 ${c} 发送`, ctSubject: '主题',
  ctFirstMessage: '第一条消息…', ctCancel: '取消', ctStartError: (e: string) => `无法发起会话：${e}`,
  cdEmail: '邮箱', cdPhone: '电话', cdSms: '短信', cdDepartment: '部门', cdTitle: '职位', cdGroup: '群组', cdCc: '抄送', cdTicket: '工单',
  cdName: '姓名', cdId: 'ID', cdChannel: '渠道', cdQueue: '队列', cdSince: '开始于', cdMessages: '消息数', cdTags: '标签', cdTeam: '团队',
  ticket_open: '待处理', ticket_pending: '等待客户', ticket_solved: '已解决',
  cdShow: '客户与联系人', cdHide: '返回会话',
  brandWorkspace: ' 工作台',
  evCsat: (q: string) => `已发送满意度调查：${q}`, evAssigned: (n: string) => `${n} 已接入会话`,
  evResolved: (n: string) => `${n} 结束了会话`, evTheAgent: '客服', evJoin: '客户打开了会话',
  evJoinFrom: (f: string) => `客户从「${f}」打开了会话`, visitorName: (code: string) => `访客 ${code}`, wechatUserName: (code: string) => `微信用户 ${code}`,
  cdSatisfaction: '满意度', cdComment: '评价', cdSurveyDue: (at: string) => `将于 ${at} 发送调查`, cdSurveyAsked: '已发送，尚未评价',
};

export type Strings = typeof en;
export type Lang = 'en' | 'zh';
/** Short names: the switch sits in the bar, which must fit a 390 px phone. */
export const LANGS: [Lang, string][] = [['en', 'EN'], ['zh', '中文']];
const KEY = 'kefu.workspace.lang';

function pick(): Lang {
  let saved: string | null = null;
  try { saved = localStorage.getItem(KEY); } catch { /* storage blocked: follow the browser */ }
  if (saved === 'en' || saved === 'zh') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export let lang: Lang = pick();
/** The strings of the current language; read at use, so a switch applies to everything built after it. */
export let t: Strings = lang === 'zh' ? zh : en;
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';

export function setLang(next: Lang): void {
  lang = next;
  t = next === 'zh' ? zh : en;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  try { localStorage.setItem(KEY, next); } catch { /* not remembered, still switched */ }
}

/** A conversation status as shown on its chip (the class stays the status itself). */
export function statusName(s: string): string {
  const key = `status_${s}` as keyof Strings;
  return typeof t[key] === 'string' ? (t[key] as string) : s;
}

/** An e-mail ticket's state (channel-view.ts ticketState) as shown; the chip's class stays the state itself. */
export function ticketName(s: 'open' | 'pending' | 'solved'): string { return t[`ticket_${s}`]; }

/**
 * The server's errors (core/errors.ts, by stable code) in Chinese. In English the server's own
 * message is shown, often more precise (it names the field); in Chinese, the code's text.
 */
const zhErrors: Record<string, string> = {
  bad_request: '请求格式有误。', invalid_json: '请求内容不是有效的 JSON。', validation_failed: '有字段缺失或格式不对。',
  payload_too_large: '内容超过了允许的大小。', unsupported_media_type: '不支持此内容类型。', invalid_image: '不是支持的图片格式（png、jpeg、gif、webp）。',
  image_too_large: '图片像素超过了允许的上限。', invalid_audio: '不是支持的录音格式（mp3、aac、m4a、wav、silk）。',
  unauthorized: '缺少或无效的登录凭证。', invalid_token: '令牌无效或已过期。', invalid_signature: '签名不匹配。',
  invalid_login_code: '微信登录码无效、已使用或已过期，请重新调用 wx.login。', forbidden: '此账号无权执行该操作。',
  forbidden_origin: '不接受来自此来源的请求。', not_found: '未找到。', channel_disabled: '此渠道已停用。',
  conversation_not_found: '会话不存在。', agent_not_found: '客服不存在。', agent_at_capacity: '该客服已没有空余接待量。', workers_need_cluster: '多进程（--workers）需要集群模式：Redis 与 MongoDB 存储。',
  invalid_state: '会话当前状态下无法执行此操作。', conflict: '与已有数据冲突。',
  channel_cannot_start: '此渠道无法主动发起会话：需客户先发消息。', identity_not_of_contact: '此身份不属于该联系人（或属于另一个联系人，请先关联）。',
  conversation_exists: '该联系人在此渠道已有会话，请在其中回复。',
  window_expired: '渠道的回复窗口已关闭：需客户先发消息（微信：客户最后一条消息后 48 小时）。',
  quota_exhausted: '客户再次发消息前，渠道不允许继续发送（微信：每条消息 5 条，打开会话后 2 条）。',
  rate_limited: '消息过多，请稍后重试。', too_many_connections: '此访客打开的连接过多。', unavailable: '网关正在关闭或尚未就绪。',
  vendor_unavailable: '消息服务商没有响应，请稍后重试。', internal: '内部错误。',
};

/** What an API error says to the agent, in the workspace's language. */
export function errorText(code: string | undefined, message: string): string {
  return lang === 'zh' && code && zhErrors[code] ? zhErrors[code] : message;
}

/** Dates and times in the workspace's language, not the OS's. */
export const locale = () => (lang === 'zh' ? 'zh-CN' : 'en');
