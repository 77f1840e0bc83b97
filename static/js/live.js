// Live updates over Server-Sent Events (portal/realtime). Every page works without it.
//
// The stream carries ids and counts only; new feed items, posts and messages are fetched from the
// page's own address (the same access checks as a reload) and the elements that are not on the
// page yet are added. Lists opt in with attributes:
//   [data-live-feed] holding an <ol id=…> of items with ids        → new items are prepended
//   <ol id=… data-live-thread="THREAD_ID" data-live-post-root="/forums/p/"> → new posts appended
//   <ol id=… data-conversation-id="ID">                              → new messages appended
(function () {
  "use strict";

  var script = document.currentScript;
  var streamUrl = script && script.getAttribute("data-stream");
  if (!streamUrl || !window.EventSource || !window.fetch || !window.DOMParser) return;

  var thread = document.querySelector("[data-live-thread]");
  var feedBox = document.querySelector("[data-live-feed]");
  var feed = feedBox && feedBox.querySelector("ol[id], ul[id]");
  var conversation = document.querySelector("ol[data-conversation-id], ul[data-conversation-id]");
  var pageParams = new URLSearchParams(window.location.search);
  // Older pages (a feed cursor, earlier messages) are not where new things appear.
  if (pageParams.has("after")) feed = null;
  if (pageParams.has("before")) conversation = null;

  var source = null;
  var lastId = null;
  var retryDelay = 2000;

  function data(event) {
    try { return JSON.parse(event.data || "{}"); } catch (e) { return {}; }
  }

  function remember(event) {
    if (event.lastEventId) lastId = event.lastEventId;
  }

  function setCount(id, count) {
    var badge = document.getElementById(id);
    if (!badge || typeof count !== "number") return;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function copyCount(id, fromDoc) {
    var fresh = fromDoc.getElementById(id);
    var badge = document.getElementById(id);
    if (!fresh || !badge) return;
    badge.textContent = fresh.textContent;
    badge.hidden = fresh.hidden;
  }

  // One fetch of the page at a time; events arriving meanwhile ask for one more afterwards.
  var fetching = false;
  var again = false;
  var wanted = {};
  var failures = 0;

  // Everyone with the thread open hears of a reply at the same moment: each page waits a random
  // moment before fetching, so that hundreds of fetches (and the thread page's "read up to here"
  // write each one makes) do not hit the server at once.
  var JITTER_MS = 500;
  var scheduled = false;

  function refresh(what) {
    wanted[what] = true;
    if (scheduled) return;
    scheduled = true;
    window.setTimeout(function () { scheduled = false; fetchPage(); }, Math.random() * JITTER_MS);
  }

  function fetchPage() {
    if (fetching) { again = true; return; }
    fetching = true;
    var asked = wanted;
    wanted = {};
    fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      if (asked.feed && feed) merge(feed, doc, "prepend");
      if (asked.thread && thread) mergePosts(doc, asked.posts || []);
      if (asked.conversation && conversation) merge(conversation, doc, "append");
      if (asked.counts) {
        copyCount("nav-notifications-count", doc);
        copyCount("nav-messages-count", doc);
      }
      failures = 0;
    }).catch(function () {
      // A busy server (or a write that collided with ours) answers an error: ask again a bit later.
      Object.keys(asked).forEach(function (key) {
        wanted[key] = key === "posts" ? (wanted.posts || []).concat(asked.posts) : true;
      });
      failures += 1;
      if (failures <= 3) window.setTimeout(fetchPage, 400 * failures);
    }).then(function () {
      fetching = false;
      if (again) { again = false; fetchPage(); }
    });
  }

  // Elements of the fetched list whose ids are not on the page yet, in the fetched order.
  function newItems(list, doc) {
    var fresh = doc.getElementById(list.id);
    if (!fresh) return [];
    var items = [];
    Array.prototype.forEach.call(fresh.children, function (child) {
      if (child.id && !document.getElementById(child.id)) items.push(document.importNode(child, true));
    });
    return items;
  }

  function merge(list, doc, where) {
    var items = newItems(list, doc);
    if (!items.length) return;
    var first = list.firstElementChild;
    items.forEach(function (item) {
      item.classList.add("is-live-new");
      if (where === "prepend" && first) list.insertBefore(item, first);
      else list.appendChild(item);
    });
    var empty = list.parentNode && list.parentNode.querySelector(".feed-empty");
    if (empty) empty.remove();
  }

  function mergePosts(doc, postIds) {
    merge(thread, doc, "append");
    // A post that did not land on this page (it opened the next one): say so, with its link.
    var root = thread.getAttribute("data-live-post-root");
    postIds.forEach(function (postId) {
      if (!root || thread.querySelector('a.post-permalink[href="' + root + postId + '"]')) return;
      var note = document.getElementById("live-more-posts");
      if (!note) {
        note = document.createElement("p");
        note.id = "live-more-posts";
        note.className = "notice";
        note.setAttribute("role", "status");
        thread.parentNode.insertBefore(note, thread.nextSibling);
      }
      note.textContent = "";
      var link = document.createElement("a");
      link.href = root + postId;
      link.textContent = "New replies on the next page";
      note.appendChild(link);
    });
  }

  function connect() {
    var url = streamUrl;
    var query = [];
    if (thread) query.push("thread=" + encodeURIComponent(thread.getAttribute("data-live-thread")));
    if (lastId !== null) query.push("last_event_id=" + encodeURIComponent(lastId));
    if (query.length) url += (url.indexOf("?") < 0 ? "?" : "&") + query.join("&");
    source = new EventSource(url);

    source.addEventListener("ready", function (event) {
      remember(event);
      retryDelay = 2000;
      document.documentElement.setAttribute("data-live", "connected");
    });
    source.addEventListener("notifications", function (event) {
      remember(event);
      setCount("nav-notifications-count", data(event).unread);
    });
    source.addEventListener("messages", function (event) {
      remember(event);
      var message = data(event);
      setCount("nav-messages-count", message.unread);
      if (conversation && message.conversation_id &&
          String(message.conversation_id) === conversation.getAttribute("data-conversation-id")) {
        refresh("conversation");
      }
    });
    source.addEventListener("feed", function (event) {
      remember(event);
      if (feed) refresh("feed");
    });
    source.addEventListener("post", function (event) {
      remember(event);
      var post = data(event);
      if (thread && String(post.thread_id) === thread.getAttribute("data-live-thread")) {
        (wanted.posts = wanted.posts || []).push(post.post_id);
        refresh("thread");
      }
    });
    // Events were pruned before this page could hear them: bring everything shown up to date.
    source.addEventListener("reload", function () {
      wanted.counts = wanted.feed = wanted.thread = wanted.conversation = true;
      refresh("counts");
    });
    source.onerror = function () {
      document.documentElement.setAttribute("data-live", "reconnecting");
      // EventSource retries by itself after a dropped connection; after an error status
      // (too many streams, logged out) it gives up, so try again later, more slowly each time.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    };
  }

  window.addEventListener("pagehide", function () { if (source) source.close(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) connect(); });
  connect();
})();
