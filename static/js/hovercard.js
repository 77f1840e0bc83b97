// Hovercards: hovering or keyboard-focusing a person's name (a[data-hovercard]) shows their card.
// Without JavaScript the name stays a plain link to the profile. The card fragment is fetched once
// per URL and kept in a Map; the server sends it with a short private cache lifetime.
(function () {
  "use strict";

  var SHOW_DELAY = 350;   // ms of hovering before fetching: passing the mouse over a name does nothing
  var FOCUS_DELAY = 150;  // keyboard focus is deliberate: show sooner
  var HIDE_DELAY = 200;   // time to move the mouse from the name onto the card
  var fragments = new Map();  // url -> Promise<string | null>
  var card = null;
  var current = null;  // the link the card belongs to (or is about to)
  var showTimer = null;
  var hideTimer = null;

  function cardElement() {
    if (card) return card;
    card = document.createElement("div");
    card.id = "hovercard";
    card.className = "hovercard";
    card.setAttribute("role", "dialog");
    card.hidden = true;
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
    card.addEventListener("focusout", function (event) {
      if (!card.contains(event.relatedTarget) && event.relatedTarget !== current) scheduleHide();
    });
    document.body.appendChild(card);
    return card;
  }

  function fetchFragment(url) {
    if (!fragments.has(url)) {
      var request = fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          // A redirect (to the login page of a members-only portal) or an error shows no card.
          if (!response.ok || response.redirected) return null;
          return response.text();
        })
        .catch(function () { return null; })
        .then(function (html) {
          if (html === null) fragments.delete(url);  // try again next time
          return html;
        });
      fragments.set(url, request);
    }
    return fragments.get(url);
  }

  function position(link) {
    var rect = link.getBoundingClientRect();
    var width = card.offsetWidth;
    var height = card.offsetHeight;
    var left = Math.min(Math.max(8, rect.left), document.documentElement.clientWidth - width - 8);
    var below = rect.bottom + 8;
    var top = (below + height > window.innerHeight && rect.top - height - 8 > 0) ? rect.top - height - 8 : below;
    card.style.left = (left + window.scrollX) + "px";
    card.style.top = (top + window.scrollY) + "px";
  }

  function show(link) {
    var url = link.getAttribute("data-hovercard");
    fetchFragment(url).then(function (html) {
      if (html === null || current !== link) return;
      var element = cardElement();
      // Same-origin HTML rendered by the server with escaping; the page's CSP blocks any script in it.
      element.innerHTML = html;
      element.setAttribute("aria-label", link.textContent.trim());
      element.hidden = false;
      position(link);
      link.setAttribute("aria-expanded", "true");
      link.setAttribute("aria-describedby", element.id);
    });
  }

  function hide() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    if (card) card.hidden = true;
    if (current) {
      current.setAttribute("aria-expanded", "false");
      current.removeAttribute("aria-describedby");
    }
    current = null;
  }

  function scheduleHide() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY);
  }

  function scheduleShow(link, delay) {
    if (current && current !== link) hide();
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    current = link;
    showTimer = setTimeout(function () { show(link); }, delay);
  }

  function hovercardLink(target) {
    return target && target.closest ? target.closest("a[data-hovercard]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    var link = hovercardLink(event.target);
    if (link && link !== current) scheduleShow(link, SHOW_DELAY);
    else if (link) clearTimeout(hideTimer);
  });
  document.addEventListener("mouseout", function (event) {
    var link = hovercardLink(event.target);
    if (link && link === current && !link.contains(event.relatedTarget)) scheduleHide();
  });
  document.addEventListener("focusin", function (event) {
    var link = hovercardLink(event.target);
    if (link) scheduleShow(link, FOCUS_DELAY);
  });
  document.addEventListener("focusout", function (event) {
    var link = hovercardLink(event.target);
    if (link && link === current && !(card && card.contains(event.relatedTarget))) scheduleHide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) {
      var link = current;
      hide();
      if (card && card.contains(document.activeElement)) link.focus();
    }
  });
  document.querySelectorAll("a[data-hovercard]").forEach(function (link) {
    link.setAttribute("aria-expanded", "false");
  });
})();
