// WeixinJSBridge stand-in of the wxcheckout WeChat Pay simulator. Outside
// WeChat it defines window.WeixinJSBridge and fires WeixinJSBridgeReady, so
// that a JSAPI page runs in an ordinary browser; getBrandWCPayRequest opens
// a payment sheet whose 支付 posts the parameters to the simulator, which
// checks them (paySign included) as WeChat's client would.
(function () {
  'use strict';
  if (typeof window.WeixinJSBridge !== 'undefined') {
    return; // the real one, inside WeChat
  }
  var script = document.currentScript;
  var base = script ? script.src.replace(/\/jsbridge\.js(?:[?#].*)?$/, '') : '';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  var btn = 'display:block;width:100%;box-sizing:border-box;padding:12px;border:0;border-radius:8px;font-size:17px;margin-top:12px;';

  function sheet(params, cb) {
    var prepay = String(params['package'] || '').replace(/^prepay_id=/, '');
    var old = document.getElementById('sim-jsapi-sheet');
    if (old) { old.parentNode.removeChild(old); }
    var overlay = el('div', {
      id: 'sim-jsapi-sheet', role: 'dialog',
      style: 'position:fixed;left:0;top:0;right:0;bottom:0;background:rgba(0,0,0,.5);z-index:2147483647;' +
        'display:flex;align-items:flex-end;justify-content:center;font-family:-apple-system,"PingFang SC",sans-serif'
    });
    var panel = el('div', {style: 'background:#fff;width:100%;max-width:420px;border-radius:12px 12px 0 0;padding:20px;box-sizing:border-box;text-align:center'});
    panel.appendChild(el('div', {style: 'font-weight:600'}, '微信支付 WeChat Pay · 模拟器 simulator'));
    var merchant = el('div', {id: 'sim-jsapi-merchant', style: 'color:#555;margin-top:12px'}, '…');
    var amount = el('div', {id: 'sim-jsapi-amount', style: 'font-size:36px;font-weight:600;margin:8px 0'}, '');
    var message = el('div', {id: 'sim-jsapi-message', style: 'color:#fa5151'}, '');
    var pay = el('button', {id: 'sim-jsapi-pay', type: 'button', style: btn + 'background:#07c160;color:#fff;font-weight:600'}, '支付 Pay');
    var cancel = el('button', {id: 'sim-jsapi-cancel', type: 'button', style: btn + 'background:#e6e6e6;color:#333'}, '取消 Cancel');
    [merchant, amount, message, pay, cancel].forEach(function (e) { panel.appendChild(e); });
    overlay.appendChild(panel);
    document.body.appendChild(overlay);

    function done(res) {
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      cb(res);
    }
    fetch(base + '/jsapi/order?prepay_id=' + encodeURIComponent(prepay)).then(function (r) {
      return r.json().then(function (j) { return {ok: r.ok, j: j}; });
    }).then(function (x) {
      if (x.ok) {
        merchant.textContent = x.j.merchant + ' · ' + x.j.body;
        amount.textContent = '¥' + x.j.amount;
      } else {
        message.textContent = x.j.refusal || '订单不存在';
      }
    }).catch(function () { message.textContent = '网络错误 network error'; });

    pay.addEventListener('click', function () {
      pay.disabled = true;
      cancel.disabled = true;
      fetch(base + '/jsapi/pay', {
        method: 'POST', headers: {'Content-Type': 'text/plain'}, body: JSON.stringify(params)
      }).then(function (r) { return r.json(); }).then(function (j) {
        var res = {err_msg: j.err_msg};
        if (j.err_desc) { res.err_desc = j.err_desc; }
        done(res);
      }).catch(function () {
        done({err_msg: 'get_brand_wcpay_request:fail', err_desc: '网络错误'});
      });
    });
    cancel.addEventListener('click', function () {
      done({err_msg: 'get_brand_wcpay_request:cancel'});
    });
  }

  window.WeixinJSBridge = {
    invoke: function (name, params, cb) {
      cb = typeof cb === 'function' ? cb : function () {};
      if (name === 'getBrandWCPayRequest') {
        sheet(params || {}, cb);
        return;
      }
      setTimeout(function () { cb({err_msg: name + ':fail', err_desc: '模拟器不支持 ' + name}); }, 0);
    },
    on: function () {},
    call: function () {}
  };

  function ready() {
    var e;
    try {
      e = new Event('WeixinJSBridgeReady');
    } catch (x) {
      e = document.createEvent('Event');
      e.initEvent('WeixinJSBridgeReady', true, true);
    }
    document.dispatchEvent(e);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { setTimeout(ready, 0); });
  } else {
    setTimeout(ready, 0);
  }
})();
