/* Human service on the web chat: after 转人工 the page shows the queue position and then the
   agent's messages as they come, by polling /api/handoff. chat.js calls HotlineHandoff.onReply. */
(function () {
  "use strict";

  var URL = "/api/handoff";
  var TEXT = JSON.parse(document.getElementById("chat-config").textContent).text;  // the catalogue's web_page
  var state = { after: 0, timer: null, status: "none", first: true, userId: null };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function messages() { return document.getElementById("messages"); }
  function scrollToEnd() { var m = messages(); m.scrollTop = m.scrollHeight; }

  function banner() {
    var node = document.getElementById("handoff-status");
    if (!node) {
      node = el("div", "handoff-status");
      node.id = "handoff-status";
      node.setAttribute("role", "status");
      node.setAttribute("aria-live", "polite");
      var anchor = document.getElementById("quick-replies");
      anchor.parentNode.insertBefore(node, anchor);
    }
    return node;
  }

  function showStatus(view) {
    var node = banner();
    var quick = document.getElementById("quick-replies");
    if (view.status !== "waiting" && quick.children.length === 1 && quick.textContent === TEXT.cancel) {
      quick.textContent = "";  // 取消 means nothing once a person answers or the bot is back
    }
    if (view.status === "waiting") {
      node.textContent = view.off_duty ? TEXT.offDuty : TEXT.queued.replace("{n}", view.ahead);
      node.hidden = false;
    } else if (view.status === "held") {
      node.textContent = TEXT.held.replace("{agent}", view.agent || "");
      node.hidden = false;
    } else {
      node.textContent = "";
      node.hidden = true;
    }
  }

  function notice(text) {
    var row = el("div", "notice notice--handoff");
    row.appendChild(el("span", null, text));
    messages().appendChild(row);
    scrollToEnd();
  }

  function agentMessage(item) {
    if (item.from !== "agent") { notice(item.text); return; }
    var row = el("div", "msg msg--bot msg--agent");
    var avatar = document.getElementById("tpl-bot-avatar");
    row.appendChild(avatar.content.firstElementChild.cloneNode(true));
    var body = el("div", "msg__body");
    body.appendChild(el("div", "msg__name", TEXT.agent.replace("{agent}", item.agent || "")));
    body.appendChild(el("div", "bubble", item.text));
    (item.citations || []).forEach(function (c) {
      body.appendChild(el("div", "meta", TEXT.source + window.HotlineCitationLabel({document: c[0], article: c[1], title: c[2]})));
    });
    row.appendChild(body);
    messages().appendChild(row);
    scrollToEnd();
  }

  function poll() {
    state.timer = null;
    var query = "?user_id=" + encodeURIComponent(state.userId) + "&after=" + state.after;
    fetch(URL + query, { headers: { "Accept": "application/json", "X-Hotline-Channel": "web" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (view) {
        if (view) {
          view.messages.forEach(function (item) {
            if (!state.first) agentMessage(item);  // on page load, old messages are history
            state.after = Math.max(state.after, item.id);
          });
          state.first = false;
          state.status = view.status;
          showStatus(view);
        }
        if (state.status !== "none" || !view) schedule((view && view.poll_seconds) || 2);
      }, function () { schedule(5); });
  }

  function schedule(seconds) {
    if (!state.timer) state.timer = window.setTimeout(poll, seconds * 1000);
  }

  // The queue's answer: a plain bubble (nothing to rate), and 取消 as the one quick reply.
  function queueReply(data, turnId) {
    var row = el("div", "msg msg--bot msg--handoff");
    if (turnId) row.setAttribute("data-turn-id", turnId);
    var avatar = document.getElementById("tpl-bot-avatar");
    row.appendChild(avatar.content.firstElementChild.cloneNode(true));
    var body = el("div", "msg__body");
    body.appendChild(el("div", "bubble", data.reply));
    row.appendChild(body);
    messages().appendChild(row);
    quickReplies(data.suggestions);
    scrollToEnd();
  }

  function quickReplies(items) {
    var quick = document.getElementById("quick-replies");
    quick.textContent = "";
    (items || []).forEach(function (text) {
      var button = el("button", "quick-reply", text);
      button.type = "button";
      button.addEventListener("click", function () {
        var input = document.getElementById("input");
        input.value = text;
        document.getElementById("composer").requestSubmit();
      });
      quick.appendChild(button);
    });
  }

  window.HotlineHandoff = {
    /* Called for every reply; returns true when it rendered the reply itself. */
    onReply: function (data, userId, turnId) {
      state.userId = userId;
      if (!data.handoff && data.intent !== "human_agent") return false;
      state.first = false;
      if (state.status === "none") state.status = "waiting";
      schedule(0.2);
      if (data.intent === "human_agent" && data.handoff) {
        notice(data.reply);
        quickReplies(data.suggestions);  // 取消 while waiting; nothing while a person answers
      } else {
        queueReply(data, turnId);  // the 转人工 answer, or 取消 while waiting
      }
      return true;
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    try { state.userId = window.localStorage.getItem("hotline12333.userId"); } catch (e) { /* none */ }
    if (state.userId) poll();  // a reload while a person holds the conversation picks it up again
  });
})();
