/* Plume feedback widget loader. Turns every
 *   <div data-plume-feedback data-token="…" data-theme="light|dark|auto" data-accent="#hex"></div>
 * (no data-theme: auto, the browser's preferred colour scheme)
 * into an iframe of Plume's /embed/feedback page, and sizes it to fit.
 * No dependencies; the token never leaves the iframe's URL. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : "";
  var frames = [];

  function mount(el) {
    if (el.getAttribute("data-plume-mounted")) return;
    var token = el.getAttribute("data-token");
    if (!token) return;
    el.setAttribute("data-plume-mounted", "1");
    var query = new URLSearchParams({ token: token, theme: el.getAttribute("data-theme") || "auto" });
    var accent = el.getAttribute("data-accent");
    if (accent) query.set("accent", accent);
    var frame = document.createElement("iframe");
    frame.src = base + "/embed/feedback?" + query.toString();
    frame.title = el.getAttribute("data-title") || "Rate this answer";
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "border:0;width:100%;max-width:420px;height:44px;display:block;background:transparent;color-scheme:normal";
    frame.allowTransparency = true;
    frames.push(frame);
    el.appendChild(frame);
  }

  function scan(root) {
    var list = (root || document).querySelectorAll("[data-plume-feedback]");
    for (var i = 0; i < list.length; i++) mount(list[i]);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base || typeof event.data !== "string") return;
    var match = /^plume:resize:(\d+)$/.exec(event.data);
    if (!match) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(+match[1], 600) + "px";
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(); });
  } else {
    scan();
  }
  // Chat UIs add answers later: mount widgets as they appear.
  if (window.MutationObserver) {
    new MutationObserver(function () { scan(); }).observe(document.documentElement, { childList: true, subtree: true });
  }
  window.PlumeFeedback = { scan: scan };
})();
