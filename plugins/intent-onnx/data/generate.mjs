// Builds ecommerce.jsonl, the training set of the shipped default intent model: Chinese
// e-commerce customer service with English alongside. Hand-written utterances per intent,
// some with slots ({p} product, {n} order number, {c} courier) expanded deterministically.
// Run: node plugins/intent-onnx/data/generate.mjs   (npm run train:default runs it first)
import { writeFileSync } from 'node:fs';

const products = ['龙井茶', '手机壳', '蓝牙耳机', '连衣裙', '运动鞋', '保温杯', '空气炸锅', '羽绒服', 'iPhone 15', '扫地机器人', 'tea set', 'sneakers', 'headphones', 'phone case', 'jacket'];
const couriers = ['顺丰', '中通', '圆通', '京东物流', '韵达', 'EMS', 'SF Express', 'DHL'];
const orders = ['20241111008812', '4399120', 'E2024061801', '#88213', '1162035571'];

const I = {
  '商品咨询': [
    '这个{p}有货吗', '{p}还有库存吗', '{p}是什么材质的', '{p}有哪些颜色', '{p}尺码怎么选', '请问{p}多大尺寸', '{p}是正品吗', '{p}保质期多久',
    '这款和那款有什么区别', '{p}适合送人吗', '{p}能用多久', '这个商品的规格参数是什么', '有没有{p}的详细介绍', '{p}是哪里产的', '我身高170穿多大码',
    '这个防水吗', '支持无线充电吗', '有没有大一号的', '{p}什么时候补货', '这个是新款吗', '{p}重量是多少', '电池续航多久', '这件衣服会起球吗', '茶叶是今年的新茶吗',
    'is the {p} in stock', 'do you have the {p} in black', 'what size should I get', 'what material is the {p} made of', 'is this product original',
    'how long does the battery last', 'is it waterproof', 'when will the {p} be back in stock', 'what is the difference between these two models',
    'does the {p} come in other colors', 'can you tell me more about this product', 'how big is the {p}',
  ],
  '订单查询': [
    '我的订单{n}怎么样了', '帮我查一下订单', '订单状态是什么', '我下的单怎么还没发货', '订单{n}发货了吗', '什么时候发货', '我的订单在哪里看', '订单显示待发货',
    '能帮我看下订单进度吗', '我昨天下的单处理了吗', '订单号{n}', '怎么查看我的订单', '为什么订单还在处理中', '我想修改订单地址', '订单可以改收货人吗',
    '能不能取消订单', '我想取消刚下的单', '订单被取消了是怎么回事', '下单后多久发货', '预售的订单什么时候发',
    'where is my order', 'what is the status of order {n}', 'has my order shipped yet', 'can you check my order', 'when will my order ship',
    'I want to cancel my order', 'can I change the delivery address of my order', 'my order is still processing', 'order number {n}', 'why has my order not been sent',
  ],
  '物流': [
    '快递到哪了', '物流信息怎么不更新了', '{c}快递单号是多少', '包裹什么时候能到', '物流显示已签收但我没收到', '快递一直没动', '能发{c}吗', '可以指定快递吗',
    '运费多少', '包邮吗', '配送到新疆要多久', '快递员联系不上', '包裹丢了怎么办', '我的快递被退回了', '物流太慢了能催一下吗', '几天能到北京', '可以送货上门吗',
    '能寄到国外吗', '快递显示派送中', '{c}今天能送到吗',
    'where is my package', 'the tracking has not updated for days', 'what is the tracking number', 'how long does shipping take', 'is shipping free',
    'can you ship with {c}', 'my parcel says delivered but I did not get it', 'do you ship internationally', 'my package is lost', 'when will my parcel arrive',
  ],
  '退换货': [
    '我要退货', '怎么申请退货', '{p}不合适想换一个', '可以换货吗', '七天无理由退货怎么操作', '退货地址是什么', '退货运费谁出', '尺码不对能换吗', '我想换个颜色',
    '退货后多久退款', '没拆封可以退吗', '已经穿过了还能退吗', '换货要多久', '退货单号填在哪里', '退款什么时候到账', '申请退款', '收到的{p}颜色不对想换', '退货需要寄回发票吗',
    '我要退{p}', '不想要了能退吗',
    'I want to return the {p}', 'how do I return an item', 'can I exchange this for a bigger size', 'what is your return policy', 'who pays for return shipping',
    'when will I get my refund for the return', 'can I exchange the color', 'I would like a refund', 'how do I send the item back', 'is there a 7 day return',
  ],
  '售后投诉': [
    '我要投诉', '{p}收到就坏了', '质量太差了', '你们的服务太差了', '收到的东西是假货', '商品有质量问题', '{p}用了两天就坏了', '客服态度很差我要投诉', '发错货了',
    '少发了一件', '东西破损了', '包装都压坏了', '这是二手的吧', '和描述的完全不一样', '我要举报', '再不处理我就去消协投诉', '你们欺骗消费者', '{p}有异味',
    '茶叶发霉了', '等了一个月还没解决',
    'I want to file a complaint', 'the {p} arrived broken', 'this product is defective', 'your service is terrible', 'I received a fake item', 'you sent me the wrong item',
    'the item is damaged', 'it stopped working after two days', 'this is unacceptable', 'nothing like the description',
  ],
  '支付': [
    '怎么付款', '可以用微信支付吗', '支持支付宝吗', '付款失败了', '钱扣了订单没显示', '可以货到付款吗', '能分期吗', '信用卡能用吗', '支付页面打不开', '重复扣款了',
    '付款后显示未支付', '能用花呗吗', '怎么修改支付方式', '付款了但是订单取消了', '支付有没有手续费', '银行卡付款不成功',
    'how can I pay', 'do you accept PayPal', 'my payment failed', 'I was charged twice', 'can I pay with a credit card', 'can I pay in installments',
    'payment went through but no order', 'is cash on delivery available', 'the checkout page does not load',
  ],
  '发票': [
    '能开发票吗', '怎么开发票', '我要开增值税专用发票', '发票抬头写错了', '电子发票在哪下载', '发票什么时候开', '可以开公司抬头吗', '发票能补开吗', '发票税号怎么填',
    '发票没收到', '需要纸质发票', '能开普票吗', '发票金额不对', '退货后发票怎么办',
    'can I get an invoice', 'how do I request an invoice', 'I need a VAT invoice', 'where can I download my invoice', 'the invoice has the wrong company name',
    'I did not receive my invoice', 'can you issue an invoice for my company',
  ],
  '优惠': [
    '有优惠券吗', '现在有什么活动', '双十一有折扣吗', '满减怎么用', '优惠券怎么领', '优惠券用不了', '会员有折扣吗', '能便宜点吗', '有没有包邮券', '新人有优惠吗',
    '还会降价吗', '买两件有优惠吗', '价格保护吗', '降价了能退差价吗', '积分怎么用', '秒杀什么时候开始',
    'do you have any coupons', 'is there a discount', 'any sales for Black Friday', 'my coupon does not work', 'can you give me a better price', 'is there a promo code',
    'will the price drop', 'do members get a discount', 'price match after a drop',
  ],
  '转人工': [
    '转人工', '人工客服', '我要找人工', '找真人', '转接人工服务', '有没有人工', '不要机器人', '我要和真人说话', '叫你们客服出来', '人工人工', '请帮我转人工客服',
    '机器人听不懂我要人工', '能不能让真人回复', '我要人工服务',
    'talk to a human', 'real person please', 'I want to speak to an agent', 'connect me to a representative', 'human agent please', 'not a bot please',
    'let me talk to someone real', 'customer service representative',
  ],
  '问候': [
    '你好', '您好', '在吗', '有人吗', '哈喽', '早上好', '晚上好', '在不在', '你好呀', '嗨', 'hello在吗', '客服你好', '您好请问一下', '亲在吗',
    'hi', 'hello', 'hey there', 'good morning', 'good evening', 'anyone there', 'hello?', 'hi, are you there',
  ],
  '感谢/结束': [
    '谢谢', '好的谢谢', '明白了谢谢', '感谢', '辛苦了', '好的没问题了', '再见', '拜拜', '没有其他问题了', '好的知道了', '非常感谢你的帮助', '解决了谢谢', 'ok谢谢', '好滴',
    'thanks', 'thank you', 'thanks a lot', 'that is all', 'bye', 'goodbye', 'great, thanks', 'problem solved thank you', 'ok got it thanks', 'have a nice day',
  ],
  '其他': [
    '你们公司在哪', '招聘吗', '你是机器人吗', '今天天气怎么样', '你们几点下班', '你们有实体店吗', '怎么成为供应商', '能合作吗', '讲个笑话', '你叫什么名字',
    '营业时间是几点', '你们老板是谁', '怎么注册会员', '忘记密码了', '账号登录不上', '怎么修改手机号', 'app闪退',
    'where is your company located', 'are you hiring', 'are you a robot', 'what are your opening hours', 'do you have a physical store', 'I forgot my password',
    'I cannot log in to my account', 'how do I change my phone number', 'tell me a joke', 'can we do a business partnership',
  ],
};

const rows = [];
for (const [label, list] of Object.entries(I)) {
  for (const t of list) {
    const fills = t.includes('{p}') ? products : t.includes('{n}') ? orders : t.includes('{c}') ? couriers : [''];
    // Chinese templates take Chinese fillers mostly, English ones English; a few of each cross over.
    const pick = /[a-z]/i.test(t.replace(/\{.\}/g, '')) ? fills.filter((f, i) => /[a-z0-9#]/i.test(f) || i % 4 === 0) : fills.filter((f, i) => !/^[a-z ]+$/i.test(f) || i % 3 === 0);
    for (const f of pick.length ? pick : fills) rows.push({ text: t.replace(/\{.\}/g, f), label });
  }
}
const out = new URL('./ecommerce.jsonl', import.meta.url);
writeFileSync(out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`wrote ${rows.length} examples over ${Object.keys(I).length} intents to ${out.pathname}`);
