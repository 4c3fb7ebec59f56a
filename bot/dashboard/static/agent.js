/* The agent console: polls the queue every second, shows one conversation, takes it, replies,
   hands it back or closes it. No framework, no CDN; form-encoded POSTs carry the CSRF token. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var BASE = root.getAttribute("data-base");
  var CSRF = root.getAttribute("data-csrf");
  var POLL_MS = Number(root.getAttribute("data-poll-ms")) || 1000;
  var $ = function (id) { return document.getElementById(id); };
  var state = { version: null, items: [], me: "", current: null, lastId: 0, citations: [], busy: false };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); });
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields || {});
    body.set("csrf_token", CSRF);
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (d) { return { ok: r.ok, data: d }; }, function () {
          return { ok: false, data: { error: { message: "操作失败，请刷新页面后重试。" } } };
        });
      }, function () { return { ok: false, data: { error: { message: "网络连接失败，请重试。" } } }; });
  }

  function waited(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " 秒";
    if (seconds < 3600) return Math.floor(seconds / 60) + " 分钟";
    return Math.floor(seconds / 3600) + " 小时 " + Math.floor((seconds % 3600) / 60) + " 分";
  }

  function showError(message) {
    var box = $("c-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // --- the queue ---------------------------------------------------------------------------
  function renderQueue() {
    var list = $("queue");
    list.textContent = "";
    var waiting = 0;
    state.items.forEach(function (item) {
      if (item.status === "waiting") waiting += 1;
      var li = el("li", "queue__item " + item.status + (item.agent === state.me ? " mine" : "") +
        (state.current === item.id ? " on" : ""));
      li.setAttribute("data-id", item.id);
      li.tabIndex = 0;
      var row = el("div", "row");
      row.appendChild(el("b", null, item.channel_label + " · " +
        (item.status === "waiting" ? "第 " + item.position + " 位" : item.status_label + "（" + item.agent + "）")));
      row.appendChild(el("span", "muted waited", "已等 " + waited(item.created_at)));
      li.appendChild(row);
      if (item.off_duty) li.appendChild(el("span", "tag", "非服务时间留言" + (item.callback_tail ? " · 回电尾号 " + item.callback_tail : "")));
      li.appendChild(el("div", "topic", item.topic));
      li.appendChild(el("div", "preview", item.preview));
      li.addEventListener("click", function () { open(item.id); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") open(item.id); });
      list.appendChild(li);
    });
    if (!state.items.length) list.appendChild(el("li", "empty", "暂无等待人工服务的会话。"));
    $("waiting-count").textContent = String(waiting);
    document.title = (waiting ? "(" + waiting + ") " : "") + "人工客服 · 12333 政策问答";  // seen from other tabs
  }

  function pollQueue() {
    var url = BASE + "/queue.json" + (state.version !== null ? "?v=" + state.version : "");
    getJson(url).then(function (result) {
      var d = result.data;
      if (result.ok) {
        state.me = d.me;
        $("duty").textContent = (d.on_duty ? "人工服务中" : "当前不在服务时间，新的请求会作为留言排队") +
          "；在线客服：" + (d.online.join("、") || "无");
        if (!d.unchanged) {
          state.version = d.version;
          state.items = d.items;
          renderQueue();
          refreshCurrent();
        } else {
          document.querySelectorAll(".queue__item .waited").forEach(function (node, i) {
            if (state.items[i]) node.textContent = "已等 " + waited(state.items[i].created_at);
          });
        }
      }
      window.setTimeout(pollQueue, POLL_MS);
    }, function () { window.setTimeout(pollQueue, POLL_MS * 3); });
  }

  // --- one conversation --------------------------------------------------------------------
  function currentItem() {
    for (var i = 0; i < state.items.length; i++) if (state.items[i].id === state.current) return state.items[i];
    return null;
  }

  function addLine(m) {
    var li = el("li", m.speaker);
    li.setAttribute("data-id", m.id);
    li.appendChild(el("span", "who", m.speaker_label + " · " + new Date(m.at).toLocaleTimeString("zh-CN")));
    li.appendChild(document.createTextNode(m.text));
    (m.citations || []).forEach(function (c) { li.appendChild(el("span", "who", "依据：" + c[0] + " 第" + c[1] + "条 " + (c[2] || ""))); });
    if (m.delivery_label) {
      li.appendChild(el("span", "delivery" + (m.delivery === "sent" || m.delivery === "queued" ? "" : " bad"), m.delivery_label));
    }
    $("transcript").appendChild(li);
    state.lastId = Math.max(state.lastId, m.id);
  }

  function setControls(status, agent) {
    var mine = status === "held" && agent === state.me;
    $("take-bar").hidden = status !== "waiting";
    $("composer").hidden = !mine;
    $("c-status").textContent = status === "held" ? "服务中（" + agent + "）" : status === "waiting" ? "排队中" : "已结束";
  }

  function open(id) {
    state.current = id;
    state.lastId = 0;
    state.citations = [];
    $("reply-citations").textContent = "";
    showError("");
    renderQueue();
    getJson(BASE + "/c/" + id + ".json").then(function (result) {
      if (!result.ok) { showError(result.data.error.message); return; }
      var d = result.data;
      $("pane-empty").hidden = true;
      $("pane-body").hidden = false;
      $("c-title").textContent = d.channel_label + " 会话 #" + d.id;
      $("c-topic").textContent = "话题：" + d.topic;
      $("c-callback").textContent = d.callback ? "回电号码：" + d.callback : "";
      $("transcript").textContent = "";
      d.messages.forEach(addLine);
      setControls(d.status, d.agent);
      $("transcript").scrollTop = $("transcript").scrollHeight;
    });
  }

  function refreshCurrent() {
    if (state.current === null) return;
    var item = currentItem();
    if (!item) { setControls("ended", null); return; }
    setControls(item.status, item.agent);
    if (item.last_message_id > state.lastId) {
      getJson(BASE + "/c/" + state.current + ".json?after=" + state.lastId).then(function (result) {
        if (!result.ok) return;
        result.data.messages.forEach(function (m) { if (m.id > state.lastId) addLine(m); });
        $("transcript").scrollTop = $("transcript").scrollHeight;
      });
    }
  }

  function act(action, fields) {
    if (state.current === null || state.busy) return Promise.resolve(null);
    state.busy = true;
    showError("");
    return post(BASE + "/c/" + state.current + "/" + action, fields).then(function (result) {
      state.busy = false;
      if (!result.ok) showError(result.data.error ? result.data.error.message : "操作失败。");
      state.version = null;  // fetch the whole queue on the next poll
      return result;
    });
  }

  $("take").addEventListener("click", function () {
    act("take").then(function (r) { if (r && r.ok) open(state.current); });
  });
  $("close-waiting").addEventListener("click", function () { act("close"); });
  $("handback").addEventListener("click", function () { act("handback"); });
  $("close").addEventListener("click", function () { act("close"); });
  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text) return;
    act("reply", { text: text, citations: JSON.stringify(state.citations) }).then(function (r) {
      if (r && r.ok) {
        $("reply-text").value = "";
        state.citations = [];
        $("reply-citations").textContent = "";
        refreshCurrent();
      }
    });
  });
  $("reply-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("send").click();
  });

  // --- inserting an answer -----------------------------------------------------------------
  var searchTimer = null;
  $("answer-q").addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(function () {
      var q = $("answer-q").value.trim();
      var list = $("answers");
      if (!q) { list.textContent = ""; return; }
      getJson(BASE + "/answers.json?q=" + encodeURIComponent(q)).then(function (result) {
        list.textContent = "";
        (result.data.items || []).forEach(function (item) {
          var li = el("li");
          var button = el("button", null, item.label);
          button.type = "button";
          button.addEventListener("click", function () {
            var box = $("reply-text");
            box.value = (box.value ? box.value + "\n" : "") + item.text;
            state.citations = state.citations.concat(item.citations || []);
            $("reply-citations").textContent = state.citations.length
              ? "将附上依据：" + state.citations.map(function (c) { return c[0] + " 第" + c[1] + "条"; }).join("、") : "";
            box.focus();
          });
          li.appendChild(button);
          list.appendChild(li);
        });
      });
    }, 300);
  });

  pollQueue();
})();
