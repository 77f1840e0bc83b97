// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function initNavToggle() {
    var toggle = document.querySelector(".nav-toggle");
    var links = document.getElementById("nav-links");
    if (!toggle || !links) return;
    toggle.setAttribute("data-js", "1");
    toggle.addEventListener("click", function () {
      var open = links.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Tag inputs: <input data-tag-autocomplete="/tags/suggest"> — comma-separated, suggests the last term.
  function initTagAutocomplete(input) {
    var url = input.getAttribute("data-tag-autocomplete");
    var list = document.createElement("ul");
    list.className = "autocomplete-list";
    list.id = input.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    input.parentNode.insertBefore(list, input.nextSibling);
    var timer = null;
    var active = -1;

    function lastTerm() {
      var parts = input.value.split(",");
      return parts[parts.length - 1].trim();
    }
    function choose(name) {
      var parts = input.value.split(",");
      parts[parts.length - 1] = " " + name;
      input.value = parts.join(",").replace(/^\s+/, "") + ", ";
      list.hidden = true;
      input.focus();
    }
    function render(names) {
      list.innerHTML = "";
      active = -1;
      names.forEach(function (name, i) {
        var li = document.createElement("li");
        li.textContent = name;
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(name); });
        list.appendChild(li);
      });
      list.hidden = names.length === 0;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var term = lastTerm();
      if (term.length < 1) { render([]); return; }
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(term), { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (data) { render((data || []).map(function (t) { return t.name; })); })
          .catch(function () { render([]); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li");
      if (list.hidden || !items.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
        input.setAttribute("aria-activedescendant", items[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(items[active].textContent);
      } else if (e.key === "Escape") {
        list.hidden = true;
      }
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 100); });
  }

  // Buttons with data-confirm ask before submitting (no inline handlers: CSP forbids them).
  function initConfirm() {
    document.addEventListener("submit", function (e) {
      var msg = e.target.getAttribute("data-confirm") ||
        (e.submitter && e.submitter.getAttribute("data-confirm"));
      if (msg && !window.confirm(msg)) e.preventDefault();
    });
  }

  // New-thread form: while a title is typed, list existing threads that look the same.
  function initSimilarThreads(panel) {
    var url = panel.getAttribute("data-similar-threads");
    var form = panel.closest("form");
    var title = form && form.querySelector("input[name=title]");
    if (!url || !title) return;
    var list = panel.querySelector("ul");
    var timer = null;
    var last = "";
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = title.value.trim();
        if (q === last) return;
        last = q;
        if (q.length < 4) { panel.hidden = true; return; }
        fetch(url + "?title=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            if (q !== last) return;
            list.textContent = "";
            items.forEach(function (item) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = item.url;
              a.textContent = item.title;
              li.appendChild(a);
              list.appendChild(li);
            });
            panel.hidden = items.length === 0;
          })
          .catch(function () { panel.hidden = true; });
      }, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initNavToggle();
    initConfirm();
    document.querySelectorAll("[data-similar-threads]").forEach(initSimilarThreads);
    document.querySelectorAll("input[data-tag-autocomplete]").forEach(initTagAutocomplete);
  });
})();
