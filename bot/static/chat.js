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
  var counter = document.getElementById("counter");
  var busy = false;
  var quoteCounter = 0;

  var TEXT = config.text;  // the page's words, from the message catalogue (web_page)

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

  function citationLabel(c) {  // Citation.reference: 大人社发[2020]38号第（四）条“扩大稳岗返还政策范围”
    return config.citationLabel
      .replace("{document}", c.document)
      .replace("{article_cn}", chineseNumber(c.article))
      .replace("{title}", c.title || "")
      .replace("“”", "");
  }
  window.HotlineCitationLabel = citationLabel;  // an agent's citations (handoff.js) are named the same way

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

  // The quote without the ellipsis of a clipped clause and without spacing, for comparison.
  function squash(text) { return (text || "").replace(/…$/, "").replace(/\s+/g, ""); }

  function renderCitations(body, citations, replyText) {
    if (!citations || !citations.length) return;
    var list = el("div", "citations");
    var said = squash(replyText);
    citations.forEach(function (c) {
      var label = TEXT.source + citationLabel(c);
      var quoted = squash(c.quote);
      if (!quoted || said.indexOf(quoted) !== -1) {
        // The answer already quotes this clause: name the source, do not repeat the quote.
        list.appendChild(el("span", "citation__chip citation__chip--plain", label));
        return;
      }
      var id = "quote-" + (++quoteCounter);
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

  // Related articles named by the reply's suggestions: a list of their own inside the message.
  function renderRelated(body, titles) {
    if (!titles.length) return;
    var box = el("div", "related");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", TEXT.related);
    box.appendChild(el("span", "related__label", TEXT.related));
    titles.forEach(function (title) {
      var link = el("button", "related__item", title);
      link.type = "button";
      link.addEventListener("click", function () { send(title); });
      box.appendChild(link);
    });
    body.appendChild(box);
  }

  function renderFeedback(body, turnId) {
    if (!turnId) return;
    var meta = el("div", "meta feedback");
    meta.setAttribute("role", "group");
    meta.setAttribute("aria-label", TEXT.feedbackLabel);
    var status = el("span", "feedback__status");
    status.setAttribute("aria-live", "polite");
    var buttons = [["up", "👍", TEXT.up], ["down", "👎", TEXT.down]].map(function (spec) {
      var button = el("button", "feedback__btn feedback__btn--" + spec[0]);
      button.appendChild(el("span", "feedback__icon", spec[1]));
      button.appendChild(document.createTextNode(spec[2]));  // words too: not everyone reads the icons
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
    if (button.getAttribute("aria-disabled") === "true") return;
    // Locked while sending and after: aria-disabled, not disabled, so the choice is not greyed out.
    buttons.forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    postJson(config.feedbackUrl, { turn_id: turnId, value: value }).then(function (result) {
      if (result.ok) {
        button.setAttribute("aria-pressed", "true");
        button.parentNode.classList.add("feedback--chosen");
        status.textContent = TEXT.thanks;
      } else {
        buttons.forEach(function (b) { b.removeAttribute("aria-disabled"); });
        addNotice("error", result.message || TEXT.feedbackFailed);
      }
    });
  }

  // items: [{text, kind}] with kind "question" | "choice" | "action"; label names the questions
  // or choices ("您可以问：" only in front of questions).
  function setQuickReplies(items, label) {
    quickReplies.textContent = "";
    quickReplies.removeAttribute("data-kind");
    if (!items || !items.length) return;
    var kinds = items.map(function (item) { return item.kind; });
    var main = kinds.indexOf("choice") !== -1 ? "choice" : (kinds.indexOf("question") !== -1 ? "question" : "action");
    quickReplies.setAttribute("data-kind", main);
    quickReplies.setAttribute("aria-label", label || TEXT.actions);
    if (label && main !== "action") quickReplies.appendChild(el("span", "quick-replies__label", label));
    items.forEach(function (item) {
      var button = el("button", "quick-reply quick-reply--" + item.kind, item.text);
      button.type = "button";
      button.addEventListener("click", function () { send(item.text); });
      quickReplies.appendChild(button);
    });
  }

  // A reply's suggestions sorted by what they are: answer choices, article titles (related
  // articles), the hand-off action, or questions the user might ask next.
  function sortSuggestions(data) {
    var sorted = { bar: [], related: [] };
    (data.suggestions || []).forEach(function (text) {
      if (text === config.handoffText) sorted.bar.push({ text: text, kind: "action" });
      else if (data.asking_for) sorted.bar.push({ text: text, kind: "choice" });
      else if (config.articleTitles.indexOf(text) !== -1) sorted.related.push(text);
      else sorted.bar.push({ text: text, kind: "question" });
    });
    return sorted;
  }

  function questions(list) { return list.map(function (text) { return { text: text, kind: "question" }; }); }

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

  // A reply that gives an answer to rate: a cited answer, a verdict or a staff answer; not a
  // question back to the user, small talk, an abstention or a hand-off.
  function isAnswer(data) {
    if (!data.answered || data.asking_for || data.handoff) return false;
    return Boolean((data.citations && data.citations.length) || /^check_/.test(data.intent || "")
      || (config.staffReplyMark && data.reply.indexOf("\n" + config.staffReplyMark) !== -1));
  }

  function renderBubble(body, text) {
    var bubble = el("div", "bubble");
    var mark = text.lastIndexOf("\n" + config.staffReplyMark);
    if (config.staffReplyMark && mark !== -1) {  // a staff answer's signature on a line of its own
      bubble.appendChild(document.createTextNode(text.slice(0, mark)));
      bubble.appendChild(el("span", "bubble__signature", text.slice(mark + 1)));
    } else {
      bubble.textContent = text;
    }
    body.appendChild(bubble);
  }

  function renderReply(data, turnId) {
    // Human service (handoff.js): a message that went to a person is shown as a notice.
    if (window.HotlineHandoff && window.HotlineHandoff.onReply(data, USER_ID, turnId)) return;
    var message = addMessage("bot");
    message.row.classList.add(data.answered ? "msg--answered" : "msg--unanswered");
    if (turnId) message.row.setAttribute("data-turn-id", turnId);
    if (data.asking_for) message.row.setAttribute("data-asking-for", data.asking_for);
    renderBubble(message.body, data.reply);
    renderCitations(message.body, data.citations, data.reply);
    var sorted = sortSuggestions(data);
    renderRelated(message.body, sorted.related);
    if (isAnswer(data)) renderFeedback(message.body, turnId);
    var label = data.asking_for ? TEXT.choices : TEXT.quickReplies;
    setQuickReplies(sorted.bar, label);
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

  function length(text) { return Array.from(text).length; }  // characters, as the server counts

  function send(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    if (length(text) > config.textMax) {  // refused here with the limit; the text stays to be cut
      addNotice("error", TEXT.tooLong.replace("{max}", config.textMax).replace("{count}", length(text)));
      updateCounter();
      input.focus();
      return;
    }
    var message = addMessage("user");
    message.body.appendChild(el("div", "bubble", text));
    setQuickReplies([]);
    input.value = "";
    autosize();
    updateCounter();
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

  // The count shows once a question nears the limit, and says by how much it is over.
  function updateCounter() {
    var count = length(input.value.trim());
    var near = count > config.textMax * 0.8;
    counter.hidden = !near;
    if (!near) return;
    var over = count - config.textMax;
    counter.textContent = TEXT.counter.replace("{count}", count).replace("{max}", config.textMax)
      + (over > 0 ? TEXT.over.replace("{over}", over) : "");
    counter.classList.toggle("composer__counter--over", over > 0);
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
  input.addEventListener("input", function () { autosize(); updateCounter(); });

  setQuickReplies(questions(config.starterTopics), TEXT.quickReplies);
})();
