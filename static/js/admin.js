/* kycdash admin pages: copy buttons for the webhook URL and secret.

   Loaded only by the admin templates; everything else (htmx, the confirm step of
   "Rotate secret" and "Disconnect", the live region) comes from kycdash.js. No
   inline scripts: the Content-Security-Policy allows scripts from our origin only. */
(function () {
  "use strict";

  function say(text, bad) {
    var region = document.getElementById("task-msg") || document.getElementById("flash");
    if (!region) return;
    var p = document.createElement("p");
    p.className = region.id === "flash"
      ? "flash__msg flash__msg--" + (bad ? "bad" : "ok")
      : "msg " + (bad ? "msg--error" : "msg--ok");
    p.textContent = text;
    region.replaceChildren(p);
  }

  // Older browsers, or a page not served over https/localhost: select and copy.
  function copyBySelection(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var node = document.querySelector(button.getAttribute("data-copy"));
    if (!node) return;
    var text = node.textContent.trim();
    var what = button.getAttribute("data-copy") === "#webhook-secret" ? "Secret" : "Webhook URL";
    function done() {
      button.classList.add("is-copied");
      setTimeout(function () { button.classList.remove("is-copied"); }, 1500);
      say(what + " copied.", false);
    }
    function failed() {
      if (copyBySelection(node)) done();
      else say("Could not copy. Select the text and copy it by hand.", true);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  });
})();
