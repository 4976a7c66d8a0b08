/* cxlens survey widget: one <script> tag on a page of the client's site (docs/collect.md).
 *
 * <script src="https://cx.example/widget.js" data-workspace="acme" data-survey="support-ces"
 *         data-key="cxl_..." data-customer="C000123" async></script>
 *
 * It asks the cxlens server whether this customer may be asked now (the survey's contact
 * rules decide, as for e-mail), and if so shows the question in the customer's language in a
 * small box; the answer goes back with the signed single-use token the server gave. Texts are
 * set as text, never as HTML. No other script, font or file is loaded.
 */
(function () {
  "use strict";
  var tag = document.currentScript;
  if (!tag) { return; }
  var d = tag.dataset;
  var base = new URL(tag.src).origin + "/api/v1/widget/" + encodeURIComponent(d.workspace) +
    "/" + encodeURIComponent(d.survey) + "/";

  function call(action, body) {
    return fetch(base + action, {
      method: "POST", mode: "cors", credentials: "omit",
      headers: {"Authorization": "Bearer " + d.key, "Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { j.status = r.status; return j; });
    });
  }

  function el(name, text, attrs) {
    var node = document.createElement(name);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function show(q) {
    var box = el("div", "", {id: "cxlens-widget", role: "dialog", "aria-label": q.question,
      lang: q.language, style: "position:fixed;right:12px;bottom:12px;max-width:22rem;" +
      "background:#fff;color:#1a1a1a;border:1px solid #6b6b6b;border-radius:8px;padding:12px;" +
      "font:15px/1.4 system-ui,sans-serif;box-shadow:0 2px 10px rgba(0,0,0,.2);z-index:2147483000"});
    var close = el("button", "\u00d7", {type: "button", "aria-label": "Close",
      style: "float:right;border:0;background:none;font-size:20px;cursor:pointer"});
    close.onclick = function () { box.remove(); };
    box.appendChild(close);
    box.appendChild(el("p", q.question, {style: "margin:0 0 8px;font-weight:600"}));
    var row = el("div", "", {role: "radiogroup", "aria-label": q.question,
      style: "display:flex;flex-wrap:wrap;gap:3px"});
    var chosen = null;
    for (var s = q.scale[0]; s <= q.scale[1]; s++) {
      (function (score) {
        var b = el("button", String(score), {type: "button", role: "radio", "aria-checked": "false",
          "data-score": String(score), style: "flex:1 0 2rem;min-height:40px;border:1px solid #6b6b6b;" +
          "border-radius:5px;background:#fff;cursor:pointer"});
        b.onclick = function () {
          chosen = score;
          row.querySelectorAll("button").forEach(function (o) {
            var on = o === b;
            o.setAttribute("aria-checked", on ? "true" : "false");
            o.style.background = on ? "#1d4f91" : "#fff";
            o.style.color = on ? "#fff" : "#1a1a1a";
          });
        };
        row.appendChild(b);
      })(s);
    }
    box.appendChild(row);
    box.appendChild(el("div", q.scale[0] + " = " + q.low + ", " + q.scale[1] + " = " + q.high,
      {style: "font-size:12px;color:#4a4a4a;margin:4px 0 8px"}));
    var comment = null;
    if (q.follow_up) {
      box.appendChild(el("label", q.follow_up, {"for": "cxlens-comment", style: "display:block"}));
      comment = el("textarea", "", {id: "cxlens-comment", maxlength: "5000",
        style: "width:100%;min-height:3.5rem;box-sizing:border-box"});
      box.appendChild(comment);
    }
    var send = el("button", q.send, {type: "submit", style: "margin-top:8px;min-height:40px;" +
      "padding:0 1rem;border:0;border-radius:5px;background:#1d4f91;color:#fff;cursor:pointer"});
    var note = el("p", "", {role: "status", style: "margin:8px 0 0"});
    send.onclick = function () {
      if (chosen === null) { note.textContent = q.choose; return; }
      send.disabled = true;
      call("answer", {token: q.token, score: chosen, comment: comment ? comment.value : null})
        .then(function (r) {
          if (r.status === 200) {
            while (box.childNodes.length > 1) { box.removeChild(box.lastChild); }
            box.appendChild(el("p", q.thanks, {role: "status", style: "margin:0"}));
          } else { note.textContent = r.detail; send.disabled = false; }
        });
    };
    box.appendChild(send);
    box.appendChild(note);
    document.body.appendChild(box);
  }

  call("show", {customer_id: d.customer, event_id: d.event || null}).then(function (q) {
    if (q.show) { show(q); }
  });
})();
