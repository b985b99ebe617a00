/* kycdash — keyboard shortcuts, the evidence viewer, the confirm step for
   destructive outcomes, and a little htmx glue.

   Everything is attached from here: the Content-Security-Policy allows scripts
   from our own origin only, so there are no inline scripts, no inline event
   handlers and no hx-on attributes in the templates. Styles change through
   classes, or through CSS custom properties set with style.setProperty (allowed
   at runtime). Without this file every page still reads and every action is a
   plain form POST. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // ------------------------------------------------------------ helpers

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    // A ticked checkbox (the queue's bulk selection) is not typing: j, k, x go on working.
    if (tag === "INPUT" && /^(checkbox|radio)$/.test(target.type)) return false;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function isUsable(el) {
    if (!el || el.disabled || el.closest("[hidden]")) return false;
    return el.getClientRects().length > 0;
  }

  function byKey(key) {
    var all = document.querySelectorAll('[data-keys~="' + key.replace(/["\\]/g, "\\$&") + '"]');
    for (var i = 0; i < all.length; i++) {
      if (isUsable(all[i]) && !all[i].closest("dialog:not([open])")) return all[i];
    }
    return null;
  }

  // Speak through a stable aria-live region: the task column's, else the global one.
  function announce(text, tone) {
    var region = document.getElementById("task-msg") || document.getElementById("flash");
    if (!region) return;
    var p = document.createElement("p");
    if (region.id === "flash") {
      p.className = "flash__msg flash__msg--" + (tone || "info");
    } else {
      p.className = "msg " + (tone === "bad" ? "msg--error" : "msg--ok");
    }
    p.textContent = text;
    region.replaceChildren(p);
  }

  // ------------------------------------------------------------ confirm step

  // A destructive outcome (reject, confirm fraud) needs a second click or key press.
  // Without JavaScript the button simply submits: the server still requires a reason.
  var armed = null;
  var armTimer = null;

  function disarm() {
    if (armed) {
      armed.classList.remove("is-armed");
      armed.removeAttribute("aria-describedby");
    }
    armed = null;
    clearTimeout(armTimer);
  }

  function arm(button) {
    disarm();
    armed = button;
    button.classList.add("is-armed");
    var key = button.getAttribute("data-keys");
    var how = key ? "click it again or press " + key : "click it again";
    announce(button.getAttribute("data-confirm") + " — " + how + " to confirm. Esc cancels.", "bad");
    button.focus();
    armTimer = setTimeout(disarm, 8000);
  }

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest("button[data-confirm]");
      if (!button) {
        if (armed && !(event.target.closest && event.target.closest("#task-msg"))) disarm();
        return;
      }
      if (button === armed) {
        disarm();
        return; // second click: let it through to htmx / the form
      }
      // Capture phase on document: stop before htmx's listener on the button.
      event.preventDefault();
      event.stopImmediatePropagation();
      arm(button);
    },
    true
  );

  // ------------------------------------------------------------ list navigation

  function rows() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-rows] tbody tr"),
      function (tr) { return tr.querySelector("a.row-link") && isUsable(tr); }
    );
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return;
    var index = -1;
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-current")) index = i;
    }
    index = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    list.forEach(function (tr) { tr.classList.remove("is-current"); });
    var row = list[index];
    row.classList.add("is-current");
    // Focus the row's link: Enter then opens it natively.
    row.querySelector("a.row-link").focus();
    row.scrollIntoView({ block: "nearest" });
  }

  // ------------------------------------------------------------ bulk selection

  // The queue's bulk bar (senior reviewers, admins): row checkboxes, "select all on
  // this page", a count, and x to toggle the current row. The table is re-rendered
  // by htmx after each bulk action, so state is always read from the DOM.
  function bulkBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#bulk-form input[data-bulk-row]"));
  }

  function updateBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var boxes = bulkBoxes();
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    var all = form.querySelector("input[data-bulk-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = checked ? checked + " selected" : "None selected";
    form.classList.toggle("has-selection", checked > 0);
  }

  function toggleCurrentRow() {
    var active = document.activeElement;
    var row = (active && active.closest && active.closest("[data-rows] tbody tr")) ||
      document.querySelector("[data-rows] tbody tr.is-current");
    var box = row && row.querySelector("input[data-bulk-row]");
    if (!box) return false;
    box.checked = !box.checked;
    updateBulk();
    return true;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches || !target.closest("#bulk-form")) return;
    if (target.matches("input[data-bulk-all]")) {
      bulkBoxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("input[data-bulk-all], input[data-bulk-row]")) updateBulk();
  });
  document.addEventListener("htmx:afterSettle", updateBulk);
  updateBulk();

  // ------------------------------------------------------------ evidence viewer

  var viewer = document.getElementById("viewer");
  var view = { zoom: null, rotate: [0, 0], active: 0 };

  function panes() {
    return viewer ? viewer.querySelectorAll(".viewer__pane") : [];
  }

  function activePane() {
    return panes()[view.active];
  }

  function applyView() {
    Array.prototype.forEach.call(panes(), function (pane, index) {
      if (pane.hidden) return;
      var stage = pane.querySelector(".viewer__stage");
      var img = pane.querySelector(".viewer__img");
      stage.classList.toggle("is-fit", view.zoom === null);
      stage.classList.toggle("is-zoomed", view.zoom !== null);
      img.style.setProperty("--rotate", view.rotate[index] + "deg");
      if (view.zoom !== null && img.naturalWidth) {
        img.style.setProperty("--zoom-width", Math.round(img.naturalWidth * view.zoom) + "px");
      }
      pane.classList.toggle("is-active", index === view.active);
    });
    var out = viewer.querySelector(".viewer__zoom");
    out.textContent = view.zoom === null ? "Fit" : Math.round(view.zoom * 100) + " %";
  }

  function zoomBy(factor) {
    var pane = activePane();
    if (!pane) return;
    var img = pane.querySelector(".viewer__img");
    var current = view.zoom;
    if (current === null) current = img.naturalWidth ? img.clientWidth / img.naturalWidth : 1;
    view.zoom = Math.min(8, Math.max(0.1, current * factor));
    applyView();
  }

  function rotateBy(degrees) {
    view.rotate[view.active] = (view.rotate[view.active] + degrees + 360) % 360;
    applyView();
  }

  function openViewer(items, title, other) {
    if (!viewer) return;
    var all = panes();
    Array.prototype.forEach.call(all, function (pane, index) {
      var item = items[index];
      var img = pane.querySelector(".viewer__img");
      pane.hidden = !item;
      if (item) {
        img.src = item.src; // each open of a full file is audited by the server
        img.alt = item.title;
        pane.querySelector(".viewer__caption").textContent = item.title;
      } else {
        img.removeAttribute("src");
      }
    });
    viewer.classList.toggle("is-compare", items.length > 1);
    viewer.querySelector(".viewer__title").textContent = title;
    var link = viewer.querySelector(".viewer__other");
    if (other && other.url) {
      link.href = other.url;
      link.textContent = other.label || "Open the other session";
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    view = { zoom: null, rotate: [0, 0], active: 0 };
    applyView();
    if (!viewer.open) viewer.showModal();
  }

  if (viewer) {
    viewer.addEventListener("close", function () {
      Array.prototype.forEach.call(viewer.querySelectorAll(".viewer__img"), function (img) {
        img.removeAttribute("src");
      });
    });
    viewer.addEventListener("click", function (event) {
      var pane = event.target.closest(".viewer__pane");
      if (pane) {
        view.active = Number(pane.getAttribute("data-pane")) || 0;
        applyView();
      }
      var button = event.target.closest("[data-viewer-action]");
      if (!button) return;
      var action = button.getAttribute("data-viewer-action");
      if (action === "zoom-in") zoomBy(1.25);
      else if (action === "zoom-out") zoomBy(0.8);
      else if (action === "rotate-left") rotateBy(-90);
      else if (action === "rotate-right") rotateBy(90);
      else if (action === "fit") { view.zoom = null; applyView(); }
      else if (action === "actual") { view.zoom = 1; applyView(); }
      else if (action === "close") viewer.close();
    });
    viewer.addEventListener("load", function () { if (view.zoom !== null) applyView(); }, true);
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var thumb = event.target.closest("a[data-viewer-src]");
    if (thumb && viewer) {
      event.preventDefault();
      var title = thumb.getAttribute("data-viewer-title");
      openViewer([{ src: thumb.getAttribute("data-viewer-src"), title: title }], title, null);
      return;
    }
    var compare = event.target.closest("button[data-compare]");
    if (compare && viewer) {
      openViewer(
        [
          { src: compare.getAttribute("data-left"), title: compare.getAttribute("data-left-title") },
          { src: compare.getAttribute("data-right"), title: compare.getAttribute("data-right-title") }
        ],
        compare.getAttribute("data-title"),
        { url: compare.getAttribute("data-other-url"), label: compare.getAttribute("data-other-label") }
      );
    }
  });

  // ------------------------------------------------------------ help

  var help = document.getElementById("help");

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close();
    else help.showModal();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help-open]")) toggleHelp();
  });

  // ------------------------------------------------------------ keys

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && armed) {
      disarm();
      announce("Cancelled.", "info");
      return;
    }
    if (isTyping(event.target)) return; // never while typing in a field

    if (viewer && viewer.open) {
      var handled = true;
      if (event.key === "[") rotateBy(-90);
      else if (event.key === "]") rotateBy(90);
      else if (event.key === "z" || event.key === "+") zoomBy(1.25);
      else if (event.key === "Z" || event.key === "-") zoomBy(0.8);
      else if (event.key === "f") { view.zoom = null; applyView(); }
      else if (event.key === "1") { view.zoom = 1; applyView(); }
      else handled = false;
      if (handled) event.preventDefault();
      return;
    }
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (help && help.open) return;

    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      moveRow(event.key === "j" ? 1 : -1);
      return;
    }
    if (event.key === "x") {
      if (toggleCurrentRow()) event.preventDefault();
      return;
    }
    if (event.key === "z" && viewer) {
      // z with the viewer closed opens the most useful comparison (or the first image).
      var first = document.querySelector("button[data-compare]") || document.querySelector("a[data-viewer-src]");
      if (first) {
        event.preventDefault();
        first.click();
      }
      return;
    }
    var target = byKey(event.key);
    if (!target) return;
    event.preventDefault();
    target.focus();
    if (!target.matches("textarea, input, select")) target.click();
  });

  // ------------------------------------------------------------ small things

  // Hidden copies of a filter (the queue's "Claim next" project, provider and reason)
  // follow it as it changes, keystroke by keystroke for the reason field.
  function syncCopies(event) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sync-from]"), function (input) {
      if (event.target.matches && event.target.matches(input.getAttribute("data-sync-from"))) {
        input.value = event.target.value;
      }
    });
  }

  // The project switcher submits on change (it has a Switch button without JS).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
    syncCopies(event);
  });
  document.addEventListener("input", syncCopies);

  // Toasts leave after a while; the live region keeps its place.
  function expireToasts() {
    Array.prototype.forEach.call(document.querySelectorAll("#flash .flash__msg:not([data-expiring])"), function (msg) {
      msg.setAttribute("data-expiring", "");
      setTimeout(function () {
        msg.classList.add("is-leaving");
        setTimeout(function () { msg.remove(); }, 450);
      }, 7000);
    });
  }
  var flash = document.getElementById("flash");
  if (flash && window.MutationObserver) {
    new MutationObserver(expireToasts).observe(flash, { childList: true });
  }
  expireToasts();

  // htmx failures that carry no fragment: say so in words.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var text = status === 404
      ? "That item no longer exists, or it is not in your projects."
      : "Something went wrong (HTTP " + status + "). Reload the page and try again.";
    announce(text, "bad");
  });
  document.addEventListener("htmx:sendError", function () {
    announce("kycdash cannot be reached. Check your connection and try again.", "bad");
  });
  // A swapped fragment may hold the armed button: forget it. And when the sign-in has
  // expired, the request was redirected to the sign-in page: go there instead of
  // swapping a whole sign-in page into a fragment.
  var loginPath = document.body.getAttribute("data-login-url");
  document.addEventListener("htmx:beforeSwap", function (event) {
    disarm();
    var xhr = event.detail.xhr;
    if (loginPath && xhr && xhr.responseURL && new URL(xhr.responseURL).pathname === loginPath) {
      event.detail.shouldSwap = false;
      // back to this page after signing in, not to the fragment or action URL
      window.location.assign(loginPath + "?next=" + encodeURIComponent(location.pathname + location.search));
    }
  });
})();
