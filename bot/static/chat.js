/* The web chat: sends each message to /api/chat and renders the reply like WeChat does.
   No framework, no network access beyond this server. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var messages = document.getElementById("messages");
  var quickReplies = document.getElementById("quick-replies");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var busy = false;
  var quoteCounter = 0;

  var TEXT = {
    network: "网络连接失败，请检查网络后重试。",
    unknown: "系统繁忙，请稍后再试。",
    didYouMean: "您是不是想问：",
    quickReplies: "您可以问：",
    typing: "正在输入…",
    up: "有帮助",
    down: "没帮助",
    thanks: "感谢您的反馈！",
    feedbackFailed: "评价未能提交，请稍后再试。",
    source: "依据：",
    showQuote: "，点按查看原文",
  };

  function userId() {
    var key = "hotline12333.userId";
    var id = null;
    try { id = window.localStorage.getItem(key); } catch (e) { /* storage disabled */ }
    if (!id) {
      var random = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
        : String(Date.now()) + Math.random().toString(16).slice(2);
      id = "web-" + random;
      try { window.localStorage.setItem(key, id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }
  var USER_ID = userId();

  var DIGITS = "零一二三四五六七八九";
  function chineseNumber(n) {  // 1..99, as the notice numbers its articles
    n = Number(n);
    if (!(n > 0 && n < 100)) return String(n);
    var tens = Math.floor(n / 10), ones = n % 10;
    return (tens > 1 ? DIGITS[tens] : "") + (tens ? "十" : "") + (ones ? DIGITS[ones] : "");
  }

  function citationLabel(c) {
    return config.citationLabel
      .replace("{document}", c.document)
      .replace("{article_cn}", chineseNumber(c.article))
      .replace("{title}", c.title);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollToEnd() { messages.scrollTop = messages.scrollHeight; }

  function addMessage(who) {
    var row = el("div", "msg msg--" + who);
    var avatar = document.getElementById(who === "user" ? "tpl-user-avatar" : "tpl-bot-avatar");
    row.appendChild(avatar.content.firstElementChild.cloneNode(true));
    var body = el("div", "msg__body");
    row.appendChild(body);
    messages.appendChild(row);
    return { row: row, body: body };
  }

  function addNotice(kind, text) {
    var notice = el("div", "notice notice--" + kind);
    if (kind === "error") notice.setAttribute("role", "alert");
    notice.appendChild(el("span", null, text));
    messages.appendChild(notice);
    scrollToEnd();
    return notice;
  }

  function renderCitations(body, citations) {
    if (!citations || !citations.length) return;
    var list = el("div", "citations");
    citations.forEach(function (c) {
      var id = "quote-" + (++quoteCounter);
      var label = TEXT.source + citationLabel(c);
      var chip = el("button", "citation__chip", label);
      chip.type = "button";
      chip.setAttribute("aria-expanded", "false");
      chip.setAttribute("aria-controls", id);
      chip.setAttribute("aria-label", label + TEXT.showQuote);
      var quote = el("blockquote", "citation__quote", c.quote);
      quote.id = id;
      quote.hidden = true;
      chip.addEventListener("click", function () {
        var open = chip.getAttribute("aria-expanded") !== "true";
        chip.setAttribute("aria-expanded", String(open));
        quote.hidden = !open;
        if (open) scrollToEnd();
      });
      list.appendChild(chip);
      list.appendChild(quote);
    });
    body.appendChild(list);
  }

  function renderFeedback(body, turnId) {
    if (!turnId) return;
    var meta = el("div", "meta feedback");
    meta.setAttribute("role", "group");
    meta.setAttribute("aria-label", "这条回答有帮助吗？");
    var status = el("span", "feedback__status");
    status.setAttribute("aria-live", "polite");
    var buttons = [["up", "👍", TEXT.up], ["down", "👎", TEXT.down]].map(function (spec) {
      var button = el("button", "feedback__btn feedback__btn--" + spec[0], spec[1]);
      button.type = "button";
      button.setAttribute("aria-label", spec[2]);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () { sendFeedback(turnId, spec[0], button, buttons, status); });
      meta.appendChild(button);
      return button;
    });
    meta.appendChild(status);
    body.appendChild(meta);
  }

  function sendFeedback(turnId, value, button, buttons, status) {
    buttons.forEach(function (b) { b.disabled = true; });
    postJson(config.feedbackUrl, { turn_id: turnId, value: value }).then(function (result) {
      if (result.ok) {
        button.setAttribute("aria-pressed", "true");
        status.textContent = TEXT.thanks;
      } else {
        buttons.forEach(function (b) { b.disabled = false; });
        addNotice("error", result.message || TEXT.feedbackFailed);
      }
    });
  }

  function setQuickReplies(items, label) {
    quickReplies.textContent = "";
    if (!items || !items.length) return;
    if (label) quickReplies.appendChild(el("span", "quick-replies__label", label));
    items.forEach(function (text) {
      var button = el("button", "quick-reply", text);
      button.type = "button";
      button.addEventListener("click", function () { send(text); });
      quickReplies.appendChild(button);
    });
  }

  function showTyping() {
    var message = addMessage("bot");
    message.row.classList.add("typing");
    var bubble = el("div", "bubble");
    bubble.setAttribute("aria-label", TEXT.typing);
    bubble.setAttribute("role", "status");
    for (var i = 0; i < 3; i++) bubble.appendChild(el("span", "typing__dot"));
    message.body.appendChild(bubble);
    scrollToEnd();
    return message.row;
  }

  function renderReply(data, turnId) {
    // Human service (handoff.js): a message that went to a person is shown as a notice.
    if (window.HotlineHandoff && window.HotlineHandoff.onReply(data, USER_ID, turnId)) return;
    var message = addMessage("bot");
    message.row.classList.add(data.answered ? "msg--answered" : "msg--unanswered");
    if (turnId) message.row.setAttribute("data-turn-id", turnId);
    if (data.asking_for) message.row.setAttribute("data-asking-for", data.asking_for);
    message.body.appendChild(el("div", "bubble", data.reply));
    renderCitations(message.body, data.citations);
    renderFeedback(message.body, turnId);
    var label = data.answered || data.asking_for ? TEXT.quickReplies : TEXT.didYouMean;
    setQuickReplies(data.suggestions, data.suggestions && data.suggestions.length ? label : null);
    scrollToEnd();
  }

  // POST JSON; resolves {ok, data, message, headers} and never rejects.
  function postJson(url, payload) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    headers[config.channelHeader] = config.channel;
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(payload), credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          var error = data && data.error;
          return {
            ok: response.ok && !error, data: data, headers: response.headers,
            message: error ? error.message : (response.ok ? null : TEXT.unknown),
          };
        }, function () {
          return { ok: false, message: TEXT.unknown, headers: response.headers };
        });
      }, function () {
        return { ok: false, message: TEXT.network };
      });
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    form.setAttribute("aria-busy", String(value));
  }

  function send(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    var message = addMessage("user");
    message.body.appendChild(el("div", "bubble", text));
    setQuickReplies([]);
    input.value = "";
    autosize();
    setBusy(true);
    var typing = showTyping();
    postJson(config.chatUrl, { user_id: USER_ID, text: text }).then(function (result) {
      typing.remove();
      if (result.ok) {
        renderReply(result.data, result.headers.get(config.turnIdHeader));
      } else {
        addNotice("error", result.message);
      }
      setBusy(false);
      input.focus();
    });
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter breaks the line; never while an IME is composing Chinese.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send(input.value);
    }
  });
  input.addEventListener("input", autosize);

  setQuickReplies(config.starterTopics, TEXT.quickReplies);
})();
